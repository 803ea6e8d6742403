# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Matching rules edited per store: validated on save, versioned, and
applied at once to every pending record; ADD NEW decided by hand."""
import datetime as dt
import difflib
from collections import defaultdict

import yaml

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import StateTransition, Wizard

from ..exceptions import RulesValidationError
from ..rules.engine import DEFAULT_PATH, RuleSetError
from ..rules.schema import line_of
from .store import COMMERCE_TYPES

# Mappings whose values name Tryton records: {mapping: (model, field)}
REFERENCES = {
    'tax': ('account.tax', 'name'),
    'marketplace_location': ('stock.location', 'code'),
    }


def rules_diff(before, after):
    "Unified diff of two rule texts"
    return ''.join(difflib.unified_diff(
            (before or '').splitlines(keepends=True),
            (after or '').splitlines(keepends=True),
            'before', 'after'))


class Shop(metaclass=PoolMeta):
    __name__ = 'web.shop'

    _commerce = {
        'invisible': ~Eval('type').in_(list(COMMERCE_TYPES)),
        }
    commerce_rules = fields.Text(
        "Matching Rules", states=_commerce,
        help="YAML that overrides the default rules: strategies and mapping "
        "entries of the same name replace the default ones, "
        "\"disabled: true\" removes one.")
    commerce_rules_default = fields.Function(
        fields.Text("Default Rules", readonly=True, states=_commerce),
        'get_commerce_rules_default')
    commerce_rules_versions = fields.One2Many(
        'commerce.rules.version', 'store', "Rule Versions", readonly=True,
        states=_commerce)
    del _commerce

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'commerce_preview_rules': {
                    'invisible': ~Eval('type').in_(list(COMMERCE_TYPES)),
                    'depends': ['type'],
                    },
                })

    def get_commerce_rules_default(self, name):
        return DEFAULT_PATH.read_text(encoding='utf-8')

    @classmethod
    @ModelView.button_action('cloud_commerce.wizard_rules_preview')
    def commerce_preview_rules(cls, shops):
        pass

    @classmethod
    def copy(cls, shops, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('commerce_rules_versions', None)
        return super().copy(shops, default=default)

    @classmethod
    def validate_fields(cls, shops, field_names):
        super().validate_fields(shops, field_names)
        if field_names is None or 'commerce_rules' in field_names:
            for shop in shops:
                shop.check_commerce_rules(shop.commerce_rules)

    def check_commerce_rules(self, text):
        "Raise RulesValidationError if the text is not valid rules"
        pool = Pool()
        Matcher = pool.get('commerce.matcher')
        if not text or not text.strip():
            return
        try:
            Matcher.ruleset(self, text)
            self._check_commerce_references(text)
        except RuleSetError as error:
            line, key, message = error.errors[0]
            message += ''.join(f"; line {l}, {k}: {m}"
                for l, k, m in error.errors[1:])
            raise RulesValidationError(gettext(
                    'cloud_commerce.msg_invalid_rules',
                    store=self.rec_name, line=line, key=key,
                    error=message)) from error

    def _check_commerce_references(self, text):
        "Mapping values must name existing taxes and warehouses"
        pool = Pool()
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        mappings = (yaml.safe_load(text) or {}).get('mappings') or {}
        errors = []
        for mapping, (model, name) in REFERENCES.items():
            wanted = {
                str(e['value']).lower(): i
                for i, e in enumerate(mappings.get(mapping) or [])
                if isinstance(e, dict) and e.get('value') is not None}
            if not wanted:
                continue
            Model = pool.get(model)
            domain = [(name, '!=', None)]
            if model == 'account.tax':
                domain.append(('company', '=', self.company.id))
            else:
                domain.append(('type', '=', 'warehouse'))
            existing = {str(r[name]).lower()
                for r in Model.search_read(domain, fields_names=[name])}
            for value, i in wanted.items():
                if value not in existing:
                    path = ('mappings', mapping, i, 'value')
                    errors.append((line_of(root, path),
                            f'mappings.{mapping}[{i}].value',
                            f"no {model} has the {name} {value!r}"))
        if errors:
            raise RuleSetError(f'store {self.rec_name}', errors)

    @classmethod
    def on_modification(cls, mode, shops, field_names=None):
        super().on_modification(mode, shops, field_names=field_names)
        if mode == 'create':
            cls._commerce_rules_changed(
                [s for s in shops if s.commerce_rules], {})

    @classmethod
    def on_write(cls, shops, values):
        callbacks = super().on_write(shops, values)
        if 'commerce_rules' in values:
            before = {s.id: s.commerce_rules for s in shops}
            callbacks.append(
                lambda: cls._commerce_rules_changed(shops, before))
        return callbacks

    @classmethod
    def _commerce_rules_changed(cls, shops, before):
        "Record a version of the changed rules and apply them at once"
        pool = Pool()
        Version = pool.get('commerce.rules.version')
        Matcher = pool.get('commerce.matcher')
        shops = [s for s in cls.browse(shops)
            if (s.commerce_rules or '') != (before.get(s.id) or '')]
        now = dt.datetime.now()
        Version.save([Version(
                    store=s, user=Transaction().user, date=now,
                    rules_before=before.get(s.id),
                    rules_after=s.commerce_rules,
                    diff=rules_diff(before.get(s.id), s.commerce_rules))
                for s in shops])
        for shop in shops:
            if shop.type in COMMERCE_TYPES:
                Matcher.rematch_store(shop)


class RulesVersion(ModelSQL, ModelView):
    "Matching Rules Version"
    __name__ = 'commerce.rules.version'

    store = fields.Many2One(
        'web.shop', "Store", required=True, readonly=True,
        ondelete='CASCADE')
    user = fields.Many2One('res.user', "User", readonly=True)
    date = fields.DateTime("Date", readonly=True)
    rules_before = fields.Text("Before", readonly=True)
    rules_after = fields.Text("After", readonly=True)
    diff = fields.Text("Changes", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'DESC'))
        cls._order.insert(1, ('id', 'DESC'))

    def get_rec_name(self, name):
        return '%s @ %s' % (
            self.user.rec_name if self.user else '',
            self.date.strftime('%Y-%m-%d %H:%M:%S') if self.date else '')


class AddNewMixin:
    "Decide by hand that a staged record becomes a new record"
    __slots__ = ()

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'add_new': {
                    'invisible': Eval('state') != 'pending',
                    'depends': ['state'],
                    },
                })

    @classmethod
    @ModelView.button
    def add_new(cls, records):
        pool = Pool()
        Matcher = pool.get('commerce.matcher')
        records = [r for r in records if r.state == 'pending']
        if not records:
            return
        cls.write(records, {
                cls._target_field: None,
                'match_state': 'not_matched',
                'action': 'add_new',
                'ready': True,
                'match_rule': 'manual',
                'match_explanation': gettext(
                    'cloud_commerce.msg_set_add_new',
                    user=cls._current_user_name()),
                })
        for store in {r.store for r in records}:
            Matcher.rematch_documents(store)


class Customer(AddNewMixin, metaclass=PoolMeta):
    __name__ = 'commerce.customer'


class Item(AddNewMixin, metaclass=PoolMeta):
    __name__ = 'commerce.item'


class SalesPerson(AddNewMixin, metaclass=PoolMeta):
    __name__ = 'commerce.sales_person'


class AddNew(Wizard):
    "Add as New Records"
    __name__ = 'commerce.add_new'
    start = StateTransition()

    def transition_start(self):
        by_model = defaultdict(list)
        for record in self.records:
            by_model[record.__class__].append(record)
        for Staged, records in by_model.items():
            Staged.add_new(records)
        return 'end'
