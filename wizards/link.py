# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Link a staged record by hand to an existing record; every pending
document that needs it is re-evaluated (fix once, apply to all)."""
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.wizard import Button, StateTransition, StateView, Wizard

TARGETS = {
    'commerce.customer': 'party',
    'commerce.item': 'product',
    'commerce.location': 'warehouse',
    'commerce.sales_person': 'employee',
    }


class LinkStart(ModelView):
    "Link to an Existing Record"
    __name__ = 'commerce.link.start'

    model = fields.Char("Model", readonly=True)
    party = fields.Many2One('party.party', "Party",
        states={
            'invisible': Eval('model') != 'commerce.customer',
            'required': Eval('model') == 'commerce.customer',
            })
    product = fields.Many2One('product.product', "Product",
        states={
            'invisible': Eval('model') != 'commerce.item',
            'required': Eval('model') == 'commerce.item',
            })
    warehouse = fields.Many2One('stock.location', "Warehouse",
        domain=[('type', '=', 'warehouse')],
        states={
            'invisible': Eval('model') != 'commerce.location',
            'required': Eval('model') == 'commerce.location',
            })
    employee = fields.Many2One('company.employee', "Employee",
        states={
            'invisible': Eval('model') != 'commerce.sales_person',
            'required': Eval('model') == 'commerce.sales_person',
            })


class Link(Wizard):
    "Link Staged Record"
    __name__ = 'commerce.link'
    start = StateView('commerce.link.start',
        'cloud_commerce.link_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Link", 'link', 'tryton-ok', default=True),
            ])
    link = StateTransition()

    def default_start(self, fields):
        values = {'model': self.model.__name__}
        target_field = TARGETS[self.model.__name__]
        targets = {getattr(r, target_field) for r in self.records} - {None}
        if len(targets) == 1:
            values[target_field] = targets.pop().id
        return values

    def transition_link(self):
        pool = Pool()
        Matcher = pool.get('commerce.matcher')
        target = getattr(self.start, TARGETS[self.model.__name__])
        records = [r for r in self.records if r.state != 'approved']
        self.model.link(records, target)
        for store in {r.store for r in records}:
            Matcher.rematch_documents(store)
        return 'end'
