# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool

from .staging import StagedMixin


class SalesPerson(StagedMixin, ModelSQL, ModelView):
    "Staged Sales Person"
    __name__ = 'commerce.sales_person'
    _target_field = 'employee'
    _canonical_kind = 'sales_person'
    _record_fields = ('name', 'email', 'phone')

    name = fields.Char("Name", readonly=True)
    email = fields.Char("Email", readonly=True)
    phone = fields.Char("Phone", readonly=True)
    employee = fields.Many2One(
        'company.employee', "Employee", readonly=True, ondelete='RESTRICT')

    def new_target(self):
        "Return an unsaved employee (and party) from the source's fields"
        pool = Pool()
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        Mechanism = pool.get('party.contact_mechanism')
        party = Party(name=self.name or self.external_id)
        if self.email:
            party.contact_mechanisms = [
                Mechanism(type='email', value=self.email)]
        return Employee(party=party, company=self.store.company)
