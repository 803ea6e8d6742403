#!/usr/bin/env python3
# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Write money_corpus.json: orders and cash sales with the totals the
source would show, computed here the way each source computes them (not by
the module under test).

ShipStation: decimal amounts; a line's extension is rounded half-up to the
cent by the store; the order total is the sum of extensions, shipping and
tax.  Square: integer minor units; an additive tax is rounded half-up on
the discounted line amount; an inclusive tax is the part of the line total
above total / (1 + rate), rounded half-up.

Run: python tests/data/make_money_corpus.py  (deterministic)"""
import json
import random
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

EXPONENT = {'USD': 2, 'EUR': 2, 'JPY': 0}
SKUS = [('MUG', "Mug"), ('TEE', "T-Shirt"), ('CAP', "Cap"),
    ('PEN', "Pen"), ('BAG', "Tote Bag"), ('CUP', "Cup")]


def q(value, currency, rounding=ROUND_HALF_UP):
    return Decimal(value).quantize(
        Decimal(1).scaleb(-EXPONENT[currency]), rounding=rounding)


def s(value):
    return str(value)


def order_case(n, rnd, kind):
    currency = 'USD' if n % 7 else 'EUR'
    lines, extensions, half_even = [], [], []
    for i in range(rnd.randint(1, 3)):
        sku, name = rnd.choice(SKUS)
        qty = Decimal(rnd.randint(1, 4))
        if kind == 'half_cent' and i == 0:
            # Three decimals ending in 5: the store rounds half up,
            # Tryton half even
            price = Decimal(rnd.choice(['1.005', '2.675', '0.125',
                        '10.245', '3.335']))
            qty = Decimal(1)
        else:
            price = Decimal(rnd.randint(100, 9999)) / 100
        lines.append({'sku': sku, 'name': name, 'quantity': s(qty),
                'unit_price': s(price), 'tax': '0'})
        extensions.append(q(qty * price, currency))
        half_even.append(q(qty * price, currency, ROUND_HALF_EVEN))
    if kind == 'adjustment':
        amount = -Decimal(rnd.randint(100, 1500)) / 100
        lines.append({'sku': None, 'name': "Coupon", 'quantity': '1',
                'unit_price': s(amount), 'tax': '0', 'adjustment': True})
        extensions.append(amount)
        half_even.append(amount)
    subtotal = sum(extensions)
    shipping = Decimal(rnd.choice([0, 499, 799, 1250])) / 100
    tax = q(subtotal * Decimal('0.0825'), currency) if n % 3 else Decimal(0)
    if kind == 'item_tax':
        # Tax given per item only: the order's tax is left at 0
        for line, extension in zip(lines, extensions):
            line['tax'] = s(q(extension * Decimal('0.06'), currency))
        tax = sum(Decimal(l['tax']) for l in lines)
        order_tax = Decimal(0)
    else:
        order_tax = tax
    total = subtotal + shipping + tax
    paid = {'unpaid': Decimal(0), 'partial': q(total / 2, currency)}.get(
        kind, total)
    status = 'awaiting_payment' if kind == 'unpaid' else 'shipped'
    return {
        'kind': 'order', 'id': f'SS-{n:03d}', 'case': kind,
        'currency': currency, 'status': status, 'lines': lines,
        'tax': s(order_tax), 'shipping': s(shipping), 'total': s(total),
        'amount_paid': s(paid),
        'cancel_after_approval': kind == 'cancelled',
        'expected': {
            'invoice_total': s(total),
            'received': s(paid),
            'rounding': s(sum(extensions) - sum(half_even)),
            'credited': s(-total if kind == 'cancelled' else 0),
            'refunded': s(paid if kind == 'cancelled' else 0),
            },
        }


def cash_sale_case(n, rnd, kind):
    currency = {0: 'JPY', 1: 'EUR'}.get((n // 9) % 4, 'USD')
    exp = EXPONENT[currency]
    unit = Decimal(1).scaleb(-exp)
    inclusive = kind == 'inclusive' or currency == 'EUR'
    rate = Decimal(rnd.choice(['8.875', '7.25', '10', '19']))
    lines, taxes = [], Decimal(0)
    for i in range(rnd.randint(1, 3)):
        sku, name = rnd.choice(SKUS)
        qty = Decimal(rnd.randint(1, 3))
        base = Decimal(rnd.randint(50, 5000) * (100 if exp == 0 else 1)
            ) * unit
        gross = qty * base
        discount = (q(gross * Decimal('0.10'), currency)
            if kind == 'discount' else Decimal(0))
        net = gross - discount
        if inclusive:
            line_tax = net - q(net / (1 + rate / 100), currency)
            total = net
        else:
            line_tax = q(net * rate / 100, currency)
            total = net + line_tax
        taxes += line_tax
        lines.append({'sku': sku, 'name': name, 'quantity': s(qty),
                'base_price': s(base), 'gross': s(gross),
                'tax': s(line_tax), 'discount': s(discount),
                'total': s(total)})
    service = (q(Decimal(rnd.randint(100, 500)) * unit * 10, currency)
        if kind == 'service' else Decimal(0))
    tip = (Decimal(rnd.randint(1, 5) * (100 if exp == 0 else 100)) * unit
        if kind in {'tip', 'split', 'refund_partial'} else Decimal(0))
    lines_total = sum(Decimal(l['total']) for l in lines)
    total = lines_total + service + tip
    discount = sum(Decimal(l['discount']) for l in lines)
    tenders = []
    if kind == 'split':
        first = q(total / 3, currency)
        tenders = [
            {'type': 'CASH', 'amount': s(first), 'tip': '0', 'fee': '0'},
            {'type': 'CARD', 'amount': s(total - first), 'tip': s(tip),
                'fee': s(q((total - first) * Decimal('0.026'), currency)
                    + (10 * unit if exp else 0))},
            ]
    elif kind == 'gift_card':
        half = q(total / 2, currency)
        tenders = [
            {'type': 'SQUARE_GIFT_CARD', 'amount': s(half), 'tip': '0',
                'fee': '0'},
            {'type': 'CARD', 'amount': s(total - half), 'tip': '0',
                'fee': s(q((total - half) * Decimal('0.026'), currency))},
            ]
    else:
        card = n % 2 == 0
        tenders = [{'type': 'CARD' if card else 'CASH', 'amount': s(total),
                'tip': s(tip),
                'fee': s(q(total * Decimal('0.026'), currency)
                    if card else 0)}]
    refunds = []
    if kind == 'refund_full':
        refunds = [{'id': f'R-{n:03d}', 'amount': s(total),
                'fee': s(-Decimal(tenders[0]['fee'])), 'later': n % 2 == 0}]
    elif kind == 'refund_partial':
        refunds = [{'id': f'R-{n:03d}',
                'amount': s(Decimal(lines[0]['total'])),
                'fee': '0', 'later': n % 2 == 1}]
    fees = sum(Decimal(t['fee']) for t in tenders)
    refunded = sum(Decimal(r['amount']) for r in refunds)
    refund_fees = sum(Decimal(r['fee']) for r in refunds)
    return {
        'kind': 'cash_sale', 'id': f'SQ-{n:03d}', 'case': kind,
        'currency': currency,
        'taxes': [{'name': f'Sales Tax {rate}%',
                'type': 'INCLUSIVE' if inclusive else 'ADDITIVE',
                'percentage': s(rate), 'amount': s(taxes)}] if taxes else [],
        'lines': lines, 'discount': s(discount), 'service_charge': s(service),
        'tip': s(tip), 'tax': s(taxes), 'total': s(total),
        'tenders': tenders, 'refunds': refunds,
        'expected': {
            'invoice_total': s(total),
            'received': s(total),
            'credited': s(-refunded),
            'refunded': s(refunded),
            'fees': s(fees + refund_fees),
            'payout': s(total - refunded - fees - refund_fees),
            },
        }


def build():
    rnd = random.Random(20240607)
    order_kinds = ['plain', 'half_cent', 'adjustment', 'item_tax',
        'partial', 'unpaid', 'half_cent', 'plain']
    sale_kinds = ['plain', 'inclusive', 'discount', 'service', 'tip',
        'split', 'gift_card', 'refund_full', 'refund_partial']
    cases = []
    for n in range(60):
        kind = order_kinds[n % len(order_kinds)]
        if n in {5, 30}:
            kind = 'cancelled'
        cases.append(order_case(n, rnd, kind))
    for n in range(63):
        cases.append(cash_sale_case(n, rnd, sale_kinds[n % len(sale_kinds)]))
    return cases


if __name__ == '__main__':
    path = Path(__file__).with_name('money_corpus.json')
    cases = build()
    path.write_text(json.dumps(cases, indent=1) + '\n')
    print(f"{len(cases)} cases written to {path}")
