# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool

from ..rules import normalize
from .staging import StagedMixin


class Item(StagedMixin, ModelSQL, ModelView):
    "Staged Item"
    __name__ = 'commerce.item'
    _target_field = 'product'
    _canonical_kind = 'item'

    name = fields.Char("Name", readonly=True)
    sku = fields.Char("SKU", readonly=True)
    upc = fields.Char("UPC", readonly=True)
    price = Monetary(
        "Price", currency='currency', digits=(16, 4), readonly=True)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    product = fields.Many2One(
        'product.product', "Product", readonly=True, ondelete='RESTRICT')

    def get_rec_name(self, name):
        if self.sku:
            return f'[{self.sku}] {self.name}'
        return self.name or self.external_id

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('name', operator, operand, *extra),
            ('sku', operator, operand, *extra),
            ('external_id', operator, operand, *extra),
            ]

    @classmethod
    def values_from_record(cls, record):
        pool = Pool()
        Currency = pool.get('currency.currency')
        values = super().values_from_record(record)
        values.update({
                'name': record.name,
                'sku': record.sku,
                'upc': record.upc,
                'price': record.price,
                })
        if record.currency:
            currencies = Currency.search(
                [('code', '=', record.currency)], limit=1)
            values['currency'] = currencies[0].id if currencies else None
        return values

    def target_key(self):
        "Staged items with the same key become one product"
        return normalize.sku(self.sku) if self.sku else None

    def new_target(self):
        "Return an unsaved product built from the source's fields"
        pool = Pool()
        Template = pool.get('product.template')
        Product = pool.get('product.product')
        Uom = pool.get('product.uom')
        Config = pool.get('commerce.configuration')
        config = Config(1)
        unit, = Uom.search([('symbol', '=', 'u')], limit=1)
        template = Template(
            name=self.name or self.sku or self.external_id,
            type='goods', salable=True,
            default_uom=unit, sale_uom=unit,
            list_price=self.price or 0,
            account_category=config.product_account_category)
        template.products = [Product(suffix_code=self.sku)]
        return template.products[0]

    @classmethod
    def save_targets(cls, products):
        "Save the templates of the new products: they create the products"
        pool = Pool()
        Template = pool.get('product.template')
        templates = [p.template for p in products]
        Template.save(templates)
        return [t.products[0] for t in templates]
