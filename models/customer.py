# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool

from ..rules import normalize
from .staging import StagedMixin


class Customer(StagedMixin, ModelSQL, ModelView):
    "Staged Customer"
    __name__ = 'commerce.customer'
    _target_field = 'party'
    _canonical_kind = 'customer'
    _record_fields = ('name', 'email', 'phone')

    name = fields.Char("Name", readonly=True)
    email = fields.Char("Email", readonly=True)
    phone = fields.Char("Phone", readonly=True)
    company_name = fields.Char("Company Name", readonly=True)
    street = fields.Char("Street", readonly=True)
    city = fields.Char("City", readonly=True)
    postal_code = fields.Char("Postal Code", readonly=True)
    subdivision_code = fields.Char("State", readonly=True)
    country_code = fields.Char("Country", readonly=True)
    party = fields.Many2One(
        'party.party', "Party", readonly=True, ondelete='RESTRICT')

    def get_rec_name(self, name):
        return self.name or self.email or self.external_id

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('name', operator, operand, *extra),
            ('email', operator, operand, *extra),
            ('external_id', operator, operand, *extra),
            ]

    @classmethod
    def values_from_record(cls, record):
        values = super().values_from_record(record)
        address = record.address
        values.update({
                'company_name': record.company,
                'street': address.street if address else None,
                'city': address.city if address else None,
                'postal_code': address.postal_code if address else None,
                'subdivision_code': address.subdivision if address else None,
                'country_code': address.country if address else None,
                })
        return values

    def target_key(self):
        "Staged customers with the same key become one party"
        return normalize.email(self.email) if self.email else None

    def new_target(self):
        "Return an unsaved party built from the source's fields"
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        Mechanism = pool.get('party.contact_mechanism')
        Country = pool.get('country.country')
        party = Party(name=self.name or self.email or self.external_id)
        mechanisms = []
        if self.email:
            mechanisms.append(Mechanism(type='email', value=self.email))
        phone = normalize.phone_e164(self.phone, self.country_code or 'US')
        if phone:
            mechanisms.append(Mechanism(type='phone', value=phone))
        party.contact_mechanisms = mechanisms
        address = Address(
            street=self.street, city=self.city,
            postal_code=self.postal_code)
        if self.country_code:
            countries = Country.search(
                [('code', '=', self.country_code.upper())], limit=1)
            if countries:
                address.country, = countries
        party.addresses = [address]
        return party
