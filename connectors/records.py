"""Canonical records: what every connector yields, whatever the vendor.

Both clients turn vendor payloads into these pydantic models; the staging
models persist them and the rules engine reads them.  Money is ``Decimal``
in major units with an ISO 4217 currency; datetimes are timezone-aware.
"""
import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Source = Literal['shipstation', 'square']


class _Model(BaseModel):
    model_config = ConfigDict(extra='forbid', frozen=False)


class Address(_Model):
    name: str | None = None
    company: str | None = None
    street: str | None = None
    street2: str | None = None
    city: str | None = None
    subdivision: str | None = None
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    phone: str | None = None


class Record(_Model):
    "The part every canonical record shares."
    source: Source
    external_id: str
    modified_at: dt.datetime
    raw: dict = Field(default_factory=dict, repr=False)

    @field_validator('modified_at')
    @classmethod
    def _aware(cls, value):
        if value.tzinfo is None:
            raise ValueError("datetime must be timezone-aware")
        return value


class Customer(Record):
    kind: Literal['customer'] = 'customer'
    name: str
    given_name: str | None = None
    family_name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address | None = None


class Item(Record):
    kind: Literal['item'] = 'item'
    name: str
    sku: str | None = None
    upc: str | None = None
    variant_name: str | None = None
    parent_external_id: str | None = None  # Square item of a variation
    price: Decimal | None = None
    currency: str | None = None
    active: bool = True


class Location(Record):
    kind: Literal['location'] = 'location'
    name: str
    # marketplace: a ShipStation store/marketplace, warehouse: a ShipStation
    # ship-from location, pos: a Square location.
    location_type: Literal['marketplace', 'warehouse', 'pos']
    marketplace: str | None = None
    currency: str | None = None
    timezone: str | None = None
    address: Address | None = None
    active: bool = True


class SalesPerson(Record):
    kind: Literal['sales_person'] = 'sales_person'
    name: str
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    active: bool = True


class OrderLine(_Model):
    external_id: str
    item_external_id: str | None = None
    sku: str | None = None
    upc: str | None = None
    name: str
    quantity: Decimal
    unit_price: Decimal
    tax_amount: Decimal = Decimal(0)
    # ShipStation adjustment lines (discounts) may carry a negative price
    adjustment: bool = False


class Order(Record):
    "A ShipStation order (online store, through ShipStation)."
    kind: Literal['order'] = 'order'
    number: str
    status: str
    order_date: dt.datetime
    payment_date: dt.datetime | None = None
    ship_date: dt.date | None = None
    currency: str
    customer_external_id: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    bill_to: Address | None = None
    ship_to: Address | None = None
    store_external_id: str | None = None
    warehouse_external_id: str | None = None
    payment_method: str | None = None
    lines: list[OrderLine]
    tax_amount: Decimal = Decimal(0)
    shipping_amount: Decimal = Decimal(0)
    total: Decimal
    amount_paid: Decimal = Decimal(0)
    carrier: str | None = None
    service: str | None = None
    tracking_number: str | None = None

    @property
    def shipped(self):
        return self.status == 'shipped'

    @property
    def paid(self):
        return self.amount_paid >= self.total


class AppliedTax(_Model):
    name: str
    tax_type: Literal['ADDITIVE', 'INCLUSIVE']
    percentage: Decimal | None = None
    amount: Decimal
    external_id: str | None = None


class CashSaleLine(_Model):
    external_id: str
    item_external_id: str | None = None  # catalog ITEM_VARIATION id
    name: str
    quantity: Decimal
    base_price: Decimal
    gross: Decimal
    tax_amount: Decimal = Decimal(0)
    discount_amount: Decimal = Decimal(0)
    total: Decimal


class Tender(_Model):
    external_id: str  # the payment id
    tender_type: str  # CARD, CASH, SQUARE_GIFT_CARD, ...
    amount: Decimal  # includes the tip
    tip: Decimal = Decimal(0)
    processing_fee: Decimal = Decimal(0)
    card_brand: str | None = None


class Refund(_Model):
    external_id: str
    payment_external_id: str | None = None
    status: str
    amount: Decimal
    processing_fee: Decimal = Decimal(0)
    reason: str | None = None
    created_at: dt.datetime | None = None


class CashSale(Record):
    "A Square order that was paid at a point of sale."
    kind: Literal['cash_sale'] = 'cash_sale'
    state: str
    created_at: dt.datetime
    closed_at: dt.datetime | None = None
    currency: str
    location_external_id: str
    customer_external_id: str | None = None
    sales_person_external_id: str | None = None
    lines: list[CashSaleLine]
    taxes: list[AppliedTax] = Field(default_factory=list)
    discount_amount: Decimal = Decimal(0)
    service_charge_amount: Decimal = Decimal(0)
    tip_amount: Decimal = Decimal(0)
    tax_amount: Decimal = Decimal(0)
    total: Decimal
    tenders: list[Tender] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)

    @property
    def processing_fee(self):
        return sum((t.processing_fee for t in self.tenders), Decimal(0))


KINDS = {
    'customer': Customer,
    'item': Item,
    'location': Location,
    'sales_person': SalesPerson,
    'order': Order,
    'cash_sale': CashSale,
    }
