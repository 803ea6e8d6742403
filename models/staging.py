# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""What every staged record shares: store, external id, payload, state,
match decision; the batch upsert that stages connector records; and the
link of a staged line to its document."""
import datetime as dt
import hashlib
import json

from trytond.i18n import gettext
from trytond.model import Index, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from ..exceptions import StagingStateError, StagingValueError

STATES = [
    ('pending', "Pending"),
    ('approved', "Approved"),
    ('trashed', "Trashed"),
    ('error', "Error"),
    ]
MATCH_STATES = [
    (None, ""),
    ('matched', "Matched"),
    ('suggested', "Suggested"),
    ('not_matched', "No Existing Record"),
    ]
ACTIONS = [
    (None, ""),
    ('match', "MATCH"),
    ('add_new', "ADD NEW"),
    ]


def payload_json(raw):
    return json.dumps(raw, default=str, sort_keys=True, indent=1)


def to_naive_utc(value):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def error_external_id(raw, error):
    "An id for a payload that failed validation before we knew its id"
    record_id = getattr(error, 'record_id', None)
    if record_id is not None:
        return str(record_id)
    digest = hashlib.sha256(payload_json(raw).encode()).hexdigest()
    return 'invalid:' + digest[:16]


class StagedMixin:
    "A record pulled from a store, waiting for review and approval"
    __slots__ = ()
    _target_field = None
    _target_model = None
    _canonical_kind = None
    # The canonical record's attributes stored as is in same-named fields
    _record_fields = ()

    store = fields.Many2One(
        'web.shop', "Store", required=True, readonly=True,
        ondelete='CASCADE',
        domain=[('type', 'in', ['shipstation', 'square'])])
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company', searcher='search_company')
    external_id = fields.Char("External ID", required=True, readonly=True)
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    error_reason = fields.Text(
        "Error", readonly=True,
        states={'invisible': ~Eval('error_reason')})
    payload = fields.Text("Payload", readonly=True)
    source_modified = fields.DateTime(
        "Source Modified", readonly=True,
        help="When the record was last changed at the store (UTC).")
    changed_after_approval = fields.Boolean(
        "Changed after Approval", readonly=True,
        help="The store changed this record after it was approved; "
        "the books were not altered.")
    match_state = fields.Selection(
        MATCH_STATES, "Match", readonly=True, sort=False)
    action = fields.Selection(ACTIONS, "Action", readonly=True, sort=False)
    match_rule = fields.Char("Rule", readonly=True)
    match_explanation = fields.Char("Why", readonly=True)
    ready = fields.Boolean(
        "Fully Matched", readonly=True,
        help="Linked to an existing record, or to be added as new without "
        "any conflict.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('store_external_id_unique', Unique(t, t.store, t.external_id),
                'cloud_commerce.msg_staged_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    (t.ready, Index.Equality(cardinality='low'))),
                })
        cls._order.insert(0, ('source_modified', 'DESC NULLS FIRST'))
        cls._buttons.update({
                'trash': {
                    'invisible': Eval('state').in_(['approved', 'trashed']),
                    'depends': ['state'],
                    },
                'restore': {
                    'invisible': Eval('state') != 'trashed',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': ~Eval('state').in_(['pending', 'error']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_changed_after_approval(cls):
        return False

    @classmethod
    def default_ready(cls):
        return False

    @fields.depends('store', '_parent_store.company')
    def on_change_with_company(self, name=None):
        return self.store.company if self.store else None

    @classmethod
    def search_company(cls, name, clause):
        return [('store.' + clause[0],) + tuple(clause[1:])]

    def get_rec_name(self, name):
        if self._rec_name in self._fields:
            return getattr(self, self._rec_name) or self.external_id
        return self.external_id

    @property
    def target(self):
        return getattr(self, self._target_field)

    def target_key(self):
        "Records of the same key share one new target"
        return None

    @classmethod
    def save_targets(cls, targets):
        "Save the new targets in batch and return them saved"
        if targets:
            targets[0].__class__.save(targets)
        return targets

    @classmethod
    def copy(cls, records, default=None):
        if records:
            raise StagingStateError(
                gettext('cloud_commerce.msg_staged_no_copy'))
        return []

    @classmethod
    @ModelView.button
    def trash(cls, records):
        cls.write(list(records), {'state': 'trashed'})

    @classmethod
    @ModelView.button
    def restore(cls, records):
        cls.write(list(records), {'state': 'pending'})
        cls.match(records)

    @classmethod
    @ModelView.button_action('cloud_commerce.wizard_approve')
    def approve(cls, records):
        pass

    @classmethod
    def approve_queued(cls, records, options):
        "Approve a chunk of records from the queue"
        pool = Pool()
        Approver = pool.get('commerce.approver')
        Approver.approve(cls.__name__, [r.id for r in records], options)

    # Staging

    @classmethod
    def values_from_record(cls, record):
        "Return the column values of a canonical record"
        values = {f: getattr(record, f) for f in cls._record_fields}
        values.update({
                'source_modified': to_naive_utc(record.modified_at),
                'payload': payload_json(record.raw),
                })
        return values

    @staticmethod
    def get_currency(code):
        pool = Pool()
        Currency = pool.get('currency.currency')
        currencies = Currency.search([('code', '=', code)], limit=1)
        if not currencies:
            raise StagingValueError(gettext(
                    'cloud_commerce.msg_unknown_currency', currency=code))
        return currencies[0]

    @classmethod
    def stage(cls, store, records, failures=()):
        """Insert or update the canonical records of the store in batch.

        failures are (raw payload, validation error) pairs: they are staged
        in the error state with the reason, never dropped.
        Return the (created, updated, failed) counts."""
        values, failures = {}, list(failures)
        for record in records:
            try:
                values[record.external_id] = cls.values_from_record(record)
            except StagingValueError as error:
                error.record_id = record.external_id
                failures.append((record.raw, error))
        for raw, error in failures:
            external_id = error_external_id(raw, error)
            values[external_id] = {
                'state': 'error',
                'error_reason': str(error),
                'payload': payload_json(raw),
                }
        created = updated = 0
        for sub_ids in grouped_slice(list(values), 500):
            sub_ids = list(sub_ids)
            existing = {r.external_id: r for r in cls.search([
                        ('store', '=', store.id),
                        ('external_id', 'in', sub_ids),
                        ])}
            to_create, to_write = [], []
            for external_id in sub_ids:
                new = values[external_id]
                record = existing.get(external_id)
                if record is None:
                    new.update(store=store.id, external_id=external_id)
                    to_create.append(new)
                elif record.payload != new['payload']:
                    to_write.extend(
                        ([record], cls._update_values(record, new)))
            if to_create:
                cls.create(to_create)
                created += len(to_create)
            if to_write:
                cls.write(*to_write)
                updated += len(to_write) // 2
        failed = len(failures)
        return created, updated, failed

    @classmethod
    def _update_values(cls, record, new):
        new = new.copy()
        if record.state == 'approved':
            # Never rewrite what was booked: flag it for review
            return {
                'changed_after_approval': True,
                'payload': new['payload'],
                'source_modified': new.get('source_modified'),
                }
        if 'state' not in new and record.state == 'error':
            new['state'] = 'pending'
            new['error_reason'] = None
        return cls._replace_lines(record, new)

    @classmethod
    def _replace_lines(cls, record, new):
        return new

    # Matching

    @classmethod
    def match(cls, records):
        "Evaluate the matching rules on the pending records"
        pool = Pool()
        Matcher = pool.get('commerce.matcher')
        records = [r for r in records
            if r.state == 'pending' and r.match_rule != 'manual']
        if records:
            Matcher.match(cls, records)

    @classmethod
    def set_decisions(cls, decisions):
        "Store a {record: decision values} mapping in batch"
        to_write = []
        for record, values in decisions.items():
            to_write.extend(([record], values))
        if to_write:
            cls.write(*to_write)

    @classmethod
    def link(cls, records, target):
        "Link the records by hand to an existing target"
        cls.write(list(records), {
                cls._target_field: target.id,
                'match_state': 'matched',
                'action': 'match',
                'ready': True,
                'match_rule': 'manual',
                'match_explanation': gettext(
                    'cloud_commerce.msg_linked_by_hand',
                    user=cls._current_user_name(),
                    target=target.rec_name),
                })
        # Fix once, apply to all: records sharing the key follow the link
        Pool().get('commerce.matcher').link_same_key(cls, records, target)

    @staticmethod
    def _current_user_name():
        pool = Pool()
        User = pool.get('res.user')
        return User(Transaction().user).rec_name

    @classmethod
    def search_by_external_ids(cls, store, external_ids):
        result = {}
        for sub_ids in grouped_slice(list(set(external_ids)), 500):
            for record in cls.search([
                        ('store', '=', store.id),
                        ('external_id', 'in', list(sub_ids)),
                        ]):
                result[record.external_id] = record
        return result



class StagedDocumentMixin(StagedMixin):
    "A staged transaction (order, cash sale) made of staged components"
    __slots__ = ()
    _replaced_lines = ['lines']

    @classmethod
    def _replace_lines(cls, record, new):
        new = new.copy()
        for name in cls._replaced_lines:
            if name in new:
                new[name] = [('delete', [l.id for l in getattr(record, name)])
                    ] + new[name]
        return new

    def compute_readiness(self):
        "Return the values that tell whether the document is ready"
        lines = [l for l in self.lines if not getattr(l, 'adjustment', False)]
        unmatched = [l for l in lines
            if not l.item or l.item.match_state != 'matched']
        not_ready = [l for l in lines if not l.item or not l.item.ready]
        def names(lines):
            return ', '.join(l.sku or l.name or '' for l in lines)
        to_add = [l for l in unmatched if l not in not_ready]
        if not unmatched:
            summary = gettext('cloud_commerce.msg_all_items_matched')
        elif not_ready:
            summary = gettext('cloud_commerce.msg_items_not_matched',
                count=len(not_ready), items=names(not_ready))
        else:
            summary = gettext('cloud_commerce.msg_items_to_add',
                count=len(to_add), items=names(to_add))
        ready = bool(lines) and not not_ready and all(
            c.ready for c in self.required_components())
        return {'items_summary': summary, 'ready': ready}

    def required_components(self):
        return [self.customer] if self.customer else []

    @classmethod
    def match(cls, records):
        to_write = []
        for record in records:
            if record.state != 'pending':
                continue
            to_write.extend(([record], record.compute_readiness()))
        if to_write:
            cls.write(*to_write)


def staged_line_mixin(parent_model, parent_name, string):
    """Return a mixin for the lines of a staged document: the required link
    parent_name to parent_model, deleted with it, and the parent's currency
    """

    class StagedLineMixin:
        __slots__ = ()
        currency = fields.Function(
            fields.Many2One('currency.currency', "Currency"),
            'on_change_with_currency')

        @fields.depends(parent_name, '_parent_%s.currency' % parent_name)
        def on_change_with_currency(self, name=None):
            parent = getattr(self, parent_name)
            return parent.currency if parent else None

    setattr(StagedLineMixin, parent_name, fields.Many2One(
            parent_model, string, required=True, ondelete='CASCADE'))
    return StagedLineMixin
