# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView, fields
from trytond.pyson import Eval

from .staging import StagedMixin


class Location(StagedMixin, ModelSQL, ModelView):
    "Staged Location"
    __name__ = 'commerce.location'
    _target_field = 'warehouse'
    _canonical_kind = 'location'
    _record_fields = ('name', 'location_type', 'marketplace')

    name = fields.Char("Name", readonly=True)
    location_type = fields.Selection([
            ('marketplace', "Marketplace"),
            ('warehouse', "Warehouse"),
            ('pos', "Point of Sale"),
            ], "Type", readonly=True)
    marketplace = fields.Char("Marketplace", readonly=True)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", readonly=True, ondelete='RESTRICT',
        domain=[('type', '=', 'warehouse')])
    point = fields.Many2One(
        'sale.point', "Point of Sale", readonly=True, ondelete='RESTRICT',
        states={'invisible': Eval('location_type') != 'pos'})

    def new_target(self):
        "Locations are never created: the store's warehouse is used"
        return self.store.warehouse
