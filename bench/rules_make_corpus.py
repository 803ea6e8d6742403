"""Write tests/data/rules_corpus.yaml, the labelled matching corpus.

Every label comes from how the case is built (a variant of an existing
record keeps its id, a new person or product is ADD NEW, a case whose
evidence is ambiguous is ADD NEW), never from the engine's output.
Run: .venv/bin/python bench/rules_make_corpus.py
"""
import random
import unicodedata
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent.parent / 'tests' / 'data' / (
    'rules_corpus.yaml')
NEW = 'ADD NEW'
WHEN = '2024-05-01T12:00:00+00:00'

FIRST = [
    'Jane', 'John', 'Émilie', 'José', 'Zoë', 'Björn', 'Chloé', 'Noah',
    'Olivia', 'Mateo', 'Sofía', 'Liam', 'Amélie', 'Łukasz', 'Søren',
    'Ingrid', 'Priya', 'Kwame', 'Aisha', 'Hiroshi', 'François', 'Renée',
    'Dmitri', 'Ana', 'Marco', 'Helga', 'Tomás', 'Grace', 'Oscar', 'Maëlle',
    ]
LAST = [
    'Doe', 'Müller', 'Núñez', 'Okafor', 'Lefèvre', 'Andersson', 'Brontë',
    'García', 'Kowalski', 'Nakamura', "O'Brien", 'Dubois', 'Rossi', 'Singh',
    'Fischer', 'Jørgensen', 'Mendoza', 'Clarke', 'Haddad', 'Novák',
    ]
NEW_FIRST = ['Quentin', 'Ursula', 'Valentín', 'Wendell', 'Xiomara', 'Yusuf']
NEW_LAST = ['Quispe', 'Underwood', 'Vázquez', 'Whitfield', 'Xu', 'Yilmaz']
US_AREAS = ['415', '212', '646', '312']
NEW_AREAS = ['503', '617', '720']
US_ZIPS = ['94103', '10001', '60601', '73301', '98101', '30301', '02108']
UK_POSTCODES = ['SW1A 1AA', 'EC1A 1BB', 'M1 1AE', 'B33 8TH', 'CR2 6XH']


def nfd(value):
    return unicodedata.normalize('NFD', value)


def strip_accents(value):
    return ''.join(
        c for c in nfd(value) if not unicodedata.combining(c))


def ascii_local(value):
    return ''.join(c for c in strip_accents(value).lower() if c.isalnum())


class Corpus:

    def __init__(self, seed=20240501):
        self.rng = random.Random(seed)
        self.existing = {k: [] for k in (
            'customer', 'item', 'location', 'point_of_sale',
            'sales_person')}
        self.cases = []
        self.counter = 0

    def exist(self, kind, **values):
        self.existing[kind].append(values)
        return values

    def case(self, kind, note, expect, group=None, **record):
        self.counter += 1
        record.setdefault('source', self.rng.choice(
            ['shipstation', 'square']))
        record.setdefault('external_id', f'X{self.counter:04d}')
        record.setdefault('modified_at', WHEN)
        case = {'id': f'C{self.counter:04d}', 'kind': kind, 'note': note,
            'expect': expect, 'record': record}
        if group:
            case['group'] = group
        self.cases.append(case)
        return case


# -- customers --------------------------------------------------------------

def us_phone(area, line):
    return f'+1{area}555{line:04d}'


def us_formats(e164):
    area, rest = e164[2:5], e164[5:]
    return [
        f'+1 ({area}) {rest[:3]}-{rest[3:]}', f'{area}.{rest[:3]}.{rest[3:]}',
        f'({area}) {rest[:3]} {rest[3:]}', f'1-{area}-{rest[:3]}-{rest[3:]}',
        f'{area}{rest}',
        ]


def make_parties(c):
    parties = []
    pairs = [(f, last) for f in FIRST for last in LAST]
    c.rng.shuffle(pairs)
    for i, (first, last) in enumerate(pairs[:60]):
        pid = f'P{i + 1:03d}'
        uk = i % 6 == 5
        party = c.exist(
            'customer', id=pid, name=f'{first} {last}',
            email=f'{ascii_local(first)}.{ascii_local(last)}{i}@example.com',
            country='GB' if uk else 'US',
            postal_code=(UK_POSTCODES[i % 5] if uk else US_ZIPS[i % 7]),
            phone=(f'+44 7911 {100000 + i}' if uk
                else us_phone(US_AREAS[i % 4], 100 + i)))
        if i % 10 == 3:
            party['external_ids'] = [f'shipstation:SSC{i}']
        parties.append(party)
    return parties


def customer_variant(c, party, how):
    name, email = party['name'], party['email']
    country = party['country']
    address = {'postal_code': party['postal_code'], 'country': country}
    if how == 'email_case':
        c.case('customer', "e-mail in other case with spaces", party['id'],
            name=name.upper(), email=f'  {email.upper()} ')
    elif how == 'email_fullwidth':
        wide = ''.join(
            chr(ord(ch) + 0xFEE0) if ch.isalnum() and ch.isascii() else ch
            for ch in email.split('@')[0])
        c.case('customer', "full-width e-mail (NFKC)", party['id'],
            name=name, email=wide + '@' + email.split('@')[1])
    elif how == 'phone':
        if country == 'GB':
            digits = party['phone'].replace(' ', '')[3:]
            phone = c.rng.choice(['0' + digits, '00 44 ' + digits])
            address = {'country': c.rng.choice(['GB', 'US'])}
            if phone.startswith('0') and not phone.startswith('00'):
                address = {'country': 'GB'}
        else:
            phone = c.rng.choice(us_formats(party['phone']))
            address = {'country': 'US'}
        c.case('customer', "phone in another format, no e-mail",
            party['id'], name=strip_accents(name), phone=phone,
            address=address)
    elif how == 'name_postal':
        first, last = name.split(' ', 1)
        shown = c.rng.choice([
            nfd(name), f'{last}, {first}', f'  {name.upper()}  ',
            strip_accents(name).lower(), f'{first}  {last}'])
        postal = party['postal_code']
        if country == 'US':
            postal = c.rng.choice([postal, postal + '-1234'])
        else:
            postal = c.rng.choice([postal.lower(), postal.replace(' ', '')])
        c.case('customer', "name (case, accents, order) and postal code",
            party['id'], name=shown,
            address={'postal_code': postal, 'country': country})
    elif how == 'linked':
        c.case('customer', "already linked, e-mail changed", party['id'],
            source='shipstation', external_id=party['external_ids'][0].split(
                ':')[1], name=name, email='new.address@example.org')


def new_person(c, i, group=None, source=None):
    first, last = NEW_FIRST[i % 6], NEW_LAST[(i // 6) % 6]
    name = f'{first} {last}'
    if i >= 36:
        name = f'{first} {last}-{NEW_LAST[i % 6]}'
    record = dict(
        name=name, email=f'{ascii_local(name)}{i}@mail.example.net',
        phone=us_phone(NEW_AREAS[i % 3], 300 + i),
        address={'postal_code': US_ZIPS[i % 7], 'country': 'US'})
    if source:
        record['source'] = source
    return record


def customer_cases(c):
    parties = make_parties(c)
    hows = ['email_case', 'phone', 'name_postal', 'email_fullwidth']
    for i, party in enumerate(parties):
        customer_variant(c, party, hows[i % 4])
        if 'external_ids' in party:
            customer_variant(c, party, 'linked')
    for i in range(0, 60, 3):
        # Cross-source: the same existing person from both channels
        party = parties[i]
        c.case('customer', "ShipStation copy of an existing party",
            party['id'], source='shipstation', name=party['name'],
            email=party['email'])
        c.case('customer', "Square copy of an existing party", party['id'],
            source='square', name=nfd(party['name']),
            phone=us_formats(party['phone'])[1]
            if party['country'] == 'US' else party['phone'],
            address={'country': party['country']})
    for i in range(30):
        record = new_person(c, i)
        c.case('customer', "new person", NEW, **record)
    for i in range(30, 42):
        # New people seen from both channels: one group each
        record = new_person(c, i, source='shipstation')
        c.case('customer', "new person (ShipStation)", NEW,
            group=f'G{i}', **record)
        twin = dict(record, source='square', name=nfd(record['name']),
            email=None, phone=us_formats(record['phone'])[0])
        c.case('customer', "same new person (Square)", NEW,
            group=f'G{i}', **twin)
    near_duplicates(c, parties)
    customer_edge_cases(c)


def near_duplicates(c, parties):
    for party in parties[:12]:
        first, last = party['name'].split(' ', 1)
        typo = first[:-1] + ('y' if first[-1] != 'y' else 'i')
        c.case('customer', "near-duplicate name, other postal code", NEW,
            name=f'{typo} {last}',
            address={'postal_code': '55401', 'country': 'US'},
            email=f'{ascii_local(typo)}.other@example.com')


def customer_edge_cases(c):
    x = c.exist
    x('customer', id='PS1', name='Maria Garcia',
        email='garcia.family@example.com', phone='+1 512 555 0101',
        postal_code='78701', country='US')
    x('customer', id='PS2', name='Luis Garcia',
        email='garcia.family@example.com', phone='+1 512 555 0102',
        postal_code='78701', country='US')
    x('customer', id='PJ1', name='John Smith', email='jsmith@nyc.example',
        postal_code='10001', country='US')
    x('customer', id='PJ2', name='John Smith', email='john@chi.example',
        postal_code='60601', country='US')
    x('customer', id='PH1', name='Jane Doe', phone='+1 415 555 0199',
        email='jane.doe@example.com', postal_code='94110', country='US')
    x('customer', id='PR1', name='Иван Петров',
        email='ivan.petrov@example.ru', postal_code='101000', country='RU')
    x('customer', id='PG1', name='Αλέξανδρος Παπαδόπουλος',
        postal_code='105 57', country='GR')
    x('customer', id='PC1', name='山田太郎', postal_code='100-0001',
        country='JP')
    x('customer', id='PC2', name='王小明', phone='+86 10 6552 9988',
        country='CN')
    x('customer', id='PU1', name='Oliver Twist', phone='020 7946 0123',
        postal_code='SW1A 2AA', country='GB')
    cc = c.case
    cc('customer', "e-mail shared by two parties, nothing else", NEW,
        name='Garcia', email='Garcia.Family@example.com')
    cc('customer', "shared e-mail, phone says which", 'PS2',
        name='Luis Garcia', email='garcia.family@example.com',
        phone='512-555-0102')
    cc('customer', "shared e-mail, name and postal code say which", 'PS1',
        name='María García', email='garcia.family@example.com',
        address={'postal_code': '78701', 'country': 'US'})
    cc('customer', "shared e-mail, other name and place", NEW,
        name='Pedro Garcia', email='garcia.family@example.com',
        address={'postal_code': '73301', 'country': 'US'})
    cc('customer', "same name, second postal code", 'PJ2',
        name='John Smith', address={'postal_code': '60601-4455',
            'country': 'US'})
    cc('customer', "same name, first postal code", 'PJ1',
        name='JOHN SMITH', address={'postal_code': '10001', 'country': 'US'})
    cc('customer', "same name, unknown postal code", NEW,
        name='John Smith', address={'postal_code': '94110', 'country': 'US'})
    cc('customer', "same name, no address (guest)", NEW, name='John Smith')
    for i, name in enumerate(['Guest', 'Walk-in customer', 'Jane Doe',
            'Maria Garcia', 'Cash customer', 'Guest']):
        cc('customer', "guest checkout: no e-mail, no phone", NEW,
            name=name, source='square')
    cc('customer', "household phone, other person", NEW,
        name='Robert Doe', phone='(415) 555-0199',
        address={'country': 'US'})
    cc('customer', "household phone, married name", 'PH1',
        name='Jane Doe-Smith', phone='415.555.0199')
    cc('customer', "invalid e-mail, valid phone", 'PH1', name='Jane Doe',
        email='jane at example', phone='+1 415-555-0199')
    cc('customer', "new e-mail, same name and postal code", 'PH1',
        name='jane doe', email='jd@new.example',
        address={'postal_code': '94110', 'country': 'US'})
    cc('customer', "Cyrillic name upper case", 'PR1', name='ИВАН ПЕТРОВ',
        address={'postal_code': '101000', 'country': 'RU'})
    cc('customer', "transliterated name, same e-mail", 'PR1',
        name='Ivan Petrov', email='IVAN.PETROV@example.ru')
    cc('customer', "same Cyrillic name, other city", NEW, name='Иван Петров',
        address={'postal_code': '190000', 'country': 'RU'})
    cc('customer', "Greek name without accents, postal code spacing",
        'PG1', name='ΑΛΕΞΑΝΔΡΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ',
        address={'postal_code': '10557', 'country': 'GR'})
    cc('customer', "Greek name NFD", 'PG1', name=nfd(
        'Αλέξανδρος Παπαδόπουλος'), address={'postal_code': '105 57',
            'country': 'GR'})
    cc('customer', "Japanese name with a space", 'PC1', name='山田 太郎',
        address={'postal_code': '1000001', 'country': 'JP'})
    cc('customer', "Chinese name, international phone", 'PC2',
        name='王小明', phone='0086 10 6552 9988', address={'country': 'US'})
    cc('customer', "other Chinese name, no key", NEW, name='王小红')
    cc('customer', "UK national phone", 'PU1', name='Oliver Twist',
        phone='+44 (0)20 7946 0123', address={'country': 'GB'})
    cc('customer', "UK phone with 00 from the US", 'PU1',
        name='Oliver Twist', phone='00 44 20 7946 0123',
        address={'country': 'US'})
    cc('customer', "UK postcode without space, lower case", 'PU1',
        name='oliver twist', address={'postal_code': 'sw1a2aa',
            'country': 'GB'})
    cc('customer', "too short phone, no other key", NEW, name='Ann Lee',
        phone='555-0100')
    x('customer', id='PM1', name='Robert Miller', phone='+1 312 555 0177',
        email='rob.miller@example.com', postal_code='60614', country='US')
    cc('customer', "spouse sharing the phone", NEW, name='Carlos Garcia',
        phone='512 555 0101')
    cc('customer', "shared phone, single family name", NEW, name='Garcia',
        phone='+1 512 555 0102')
    # The same people, but nothing exact left to prove it: a bookkeeper
    # links these by hand (the engine may only suggest)
    cc('customer', "nickname, same phone", 'PM1', name='Bob Miller',
        phone='312 555 0177')
    cc('customer', "moved, new phone, e-mail typo", 'PM1',
        name='Robert Miller', email='rob.miller@exmaple.com',
        phone='(720) 555-0388',
        address={'postal_code': '80202', 'country': 'US'})
    cc('customer', "moved, no e-mail", 'PH1', name='Jane Doe',
        address={'postal_code': '10002', 'country': 'US'})
    cc('customer', "transliterated name, no e-mail", 'PR1',
        name='Ivan Petrov', address={'postal_code': '101000',
            'country': 'RU'})


# -- items --------------------------------------------------------------------

PRODUCTS = [
    ('Blue T-Shirt M', 'TSH-BLU-M'), ('Blue T-Shirt L', 'TSH-BLU-L'),
    ('Red T-Shirt M', 'TSH-RED-M'), ('Classic Mug Large', 'MUG-L'),
    ('Classic Mug Small', 'MUG-S'), ('Espresso Beans 1kg', 'COF-ESP-1K'),
    ('Espresso Beans 250g', 'COF-ESP-250'), ('Café Crème Filter', 'CCF-01'),
    ('Green Tea Sencha', 'TEA-SEN'), ('Earl Grey Tea', 'TEA-EG'),
    ('Notebook A5 Dotted', 'NB-A5-D'), ('Notebook A5 Lined', 'NB-A5-L'),
    ('Fountain Pen Black', 'PEN-FP-BK'), ('Fountain Pen Blue', 'PEN-FP-BL'),
    ('Canvas Tote Bag', 'BAG-TOTE'), ('Leather Wallet', 'WAL-LTH'),
    ('Wool Socks Grey', 'SOCK-W-G'), ('Wool Socks Navy', 'SOCK-W-N'),
    ('Ceramic Bowl', 'BWL-CER'), ('Bamboo Cutting Board', 'CB-BAM'),
    ('Scented Candle Lavender', 'CND-LAV'), ('Scented Candle Cedar',
        'CND-CED'), ('Yoga Mat', 'YOGA-MAT'), ('Water Bottle 750ml',
        'BTL-750'), ('Sunglasses Tortoise', 'SUN-TOR'),
    ]


def gtin_body(i):
    return f'0{(400000000 + i * 7919) % 10 ** 11:011d}'


def check_digit(body):
    total = sum(int(d) * (3 if k % 2 == 0 else 1)
        for k, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def upc_a(i):
    "A valid UPC-A (12 digits) that starts with 0."
    body = f'{(400000000 + i * 7919) % 10 ** 10:010d}'
    body = '0' + body
    return body + check_digit(body)


def item_cases(c):
    products = []
    for i, (name, code) in enumerate(PRODUCTS):
        product = c.exist('item', id=f'PR{i + 1:03d}', name=name, code=code)
        if i % 2 == 0:
            product['ean'] = '0' + upc_a(i)
        if i % 5 == 1:
            product['external_ids'] = [f'square:SQI{i}']
        products.append(product)
    for i, product in enumerate(products):
        code = product['code']
        shown = [code.lower(), f'  {code} ', code.title(), code][i % 4]
        c.case('item', "SKU in other case, with spaces", product['id'],
            name=product['name'], sku=shown)
        if 'ean' in product:
            c.case('item', "UPC-A 12 digits vs EAN-13 of the product",
                product['id'], name=product['name'].upper(),
                upc=product['ean'][1:])
        if 'external_ids' in product:
            c.case('item', "already linked, SKU changed", product['id'],
                source='square', external_id=product['external_ids'][0][7:],
                name=product['name'], sku=code + '-OLD')
        inner = code.replace('-', '')
        c.case('item', "similar name, SKU differs inside", NEW,
            name=product['name'], sku=inner)
    item_edge_cases(c, products)


def item_edge_cases(c, products):
    x, cc = c.exist, c.case
    x('item', id='PD1', name='Gift Card 25', code='GIFT', sku=['GC-25'])
    x('item', id='PD2', name='Gift Card 50', code='GIFT-50', sku=['GC-25'],
        upc=upc_a(901))
    x('item', id='PV1', name='Hoodie', code='HOOD-BLK-XL', gtin=[
        '0' + upc_a(902)])
    cc('item', "SKU shared by two products", NEW, name='Gift card',
        sku='gc-25')
    cc('item', "shared SKU, UPC says which", 'PD2', name='Gift Card 50',
        sku='GC-25', upc=upc_a(901))
    cc('item', "Square variation: product code of the variant", 'PV1',
        name='Hoodie', variant_name='Black XL', sku='hood-blk-xl',
        source='square', parent_external_id='SQITEM1')
    cc('item', "EAN-13 staged, UPC-A on the product", 'PD2',
        name='Gift Card Fifty', upc='0' + upc_a(901))
    bad = upc_a(903)[:-1] + str((int(upc_a(903)[-1]) + 1) % 10)
    cc('item', "bad check digit, no SKU", NEW, name='Mystery Box',
        upc=bad)
    cc('item', "same name, no SKU nor UPC", NEW, name='Yoga Mat')
    cc('item', "name close to a product, new SKU", NEW,
        name='Blue T-Shirt XL', sku='TSH-BLU-XL')
    cc('item', "SKU with inner space", NEW, name='Yoga Mat', sku='YOGA MAT')
    for i, name in enumerate(['Linen Apron', 'Olive Oil 500ml',
            'Chef Knife 8"', 'Matcha Whisk', 'Puzzle 1000 pieces',
            'Beeswax Wrap', 'Hand Cream', 'Tea Infuser']):
        cc('item', "new product", NEW, name=name, sku=f'NEW-{i:02d}',
            upc=upc_a(1000 + i))


# -- locations, points of sale, sales people ---------------------------------

def location_cases(c):
    x, cc = c.exist, c.case
    x('location', id='S1', type='store', name='Amazon US')
    x('location', id='S2', type='store', name='eBay Store',
        external_ids=['shipstation:ST2'])
    x('location', id='S3', type='store', name='Shopify Web')
    x('location', id='W1', type='warehouse', name='Main Warehouse')
    x('location', id='W2', type='warehouse', name='East Coast DC')
    x('location', id='W3', type='warehouse', name='Downtown Shop')
    x('location', id='W4', type='warehouse', name='Airport Kiosk',
        external_ids=['square:LAIR'])
    x('point_of_sale', id='POS1', type='pos', name='Downtown Shop')
    x('point_of_sale', id='POS2', type='pos', name='Airport Kiosk',
        external_ids=['square:LAIR'])
    m, w, p = 'marketplace', 'warehouse', 'pos'
    for note, expect, rec in [
            ("store by name, other case", 'S1', dict(
                name='amazon us', location_type=m, marketplace='Amazon')),
            ("linked store, renamed", 'S2', dict(
                name='eBay (new)', location_type=m, external_id='ST2',
                source='shipstation')),
            ("store with spaces", 'S3', dict(
                name=' Shopify  Web ', location_type=m)),
            ("new store", NEW, dict(name='Etsy Shop', location_type=m)),
            ("store name equals a warehouse's", NEW, dict(
                name='Main Warehouse', location_type=m)),
            ("warehouse by name", 'W1', dict(
                name='MAIN WAREHOUSE', location_type=w)),
            ("warehouse by name", 'W2', dict(
                name='East Coast DC', location_type=w)),
            ("new warehouse", NEW, dict(name='West DC', location_type=w)),
            ("Square location -> warehouse", 'W3', dict(
                name='Downtown Shop', location_type=p, source='square')),
            ("linked Square location", 'W4', dict(
                name='Airport', location_type=p, source='square',
                external_id='LAIR')),
            ("new Square location", NEW, dict(
                name='Pop-up Market', location_type=p, source='square')),
            ]:
        cc('location', note, expect, **rec)
    for note, expect, rec in [
            ("Square location -> point of sale", 'POS1', dict(
                name='downtown shop', location_type=p)),
            ("linked point of sale", 'POS2', dict(
                name='Airport', location_type=p, external_id='LAIR')),
            ("new point of sale", NEW, dict(
                name='Pop-up Market', location_type=p)),
            ]:
        cc('point_of_sale', note, expect, source='square', **rec)


def sales_person_cases(c):
    x, cc = c.exist, c.case
    x('sales_person', id='E1', name='Chloé Martin',
        email='chloe@shop.example')
    x('sales_person', id='E2', name='Alex Kim', email='alex.kim@shop.example')
    x('sales_person', id='E3', name='Alex Kim', email='akim@shop.example')
    x('sales_person', id='E4', name='Sam Rivera',
        external_ids=['square:TM4'])
    x('sales_person', id='E5', name='Björn Åberg')
    for note, expect, rec in [
            ("e-mail in upper case", 'E1', dict(
                name='Chloe M.', email='CHLOE@shop.example')),
            ("name NFD", 'E1', dict(name=nfd('Chloé Martin'))),
            ("two employees with this name", NEW, dict(name='Alex Kim')),
            ("same name, e-mail says which", 'E3', dict(
                name='Alex Kim', email='akim@shop.example')),
            ("linked team member", 'E4', dict(
                name='Samuel Rivera', external_id='TM4')),
            ("name without accents", 'E5', dict(name='Bjorn Aberg')),
            ("new team member", NEW, dict(name='Dana Scully')),
            ("new team member with e-mail", NEW, dict(
                name='Fox Mulder', email='fox@shop.example')),
            ]:
        cc('sales_person', note, expect, source='square', **rec)


def build():
    corpus = Corpus()
    customer_cases(corpus)
    item_cases(corpus)
    location_cases(corpus)
    sales_person_cases(corpus)
    return {'existing': corpus.existing, 'cases': corpus.cases}


def main():
    data = build()
    header = ("# Labelled corpus for the matching rules; generated by "
        "bench/rules_make_corpus.py\n# (labels come from how each case "
        "is built, see that script).\n")
    OUT.write_text(header + yaml.safe_dump(
            data, allow_unicode=True, sort_keys=False, width=78),
        encoding='utf-8')
    print(f"{len(data['cases'])} cases written to {OUT}")


if __name__ == '__main__':
    main()
