# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Approval: staged records become Tryton's own documents, exactly once.

Each chunk of records is approved in a transaction of its own that
declares at its start the locks it needs; a failed chunk is rolled back
and approved again in halves, down to single records, so one bad record
never blocks the others and leaves nothing half-made."""
import datetime as dt
import logging
from collections import defaultdict

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Model, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, TransactionError

from ..exceptions import ApprovalError

logger = logging.getLogger(__name__)

STAGED_MODELS = [
    ('commerce.customer', "Customer"),
    ('commerce.item', "Item"),
    ('commerce.location', "Location"),
    ('commerce.sales_person', "Sales Person"),
    ('commerce.order', "Order"),
    ('commerce.cash_sale', "Cash Sale"),
    ]
DOCUMENT_KINDS = [
    ('sale', "Sales Order"),
    ('shipment', "Shipment"),
    ('invoice', "Sales Invoice"),
    ('receipt', "Cash Receipt"),
    ]
CHUNK = 50
# Tables a restart showed an approval locks, declared from then on
_learned_tables = set()


class Approval(ModelSQL, ModelView):
    "Cloud Commerce Approval"
    __name__ = 'commerce.approval'

    store = fields.Many2One('web.shop', "Store", readonly=True)
    company = fields.Many2One('company.company', "Company", readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    date = fields.DateTime("Date", readonly=True)
    create_sale = fields.Boolean("Sales Order", readonly=True)
    create_shipment = fields.Boolean("Shipment", readonly=True)
    create_invoice = fields.Boolean("Sales Invoice", readonly=True)
    create_receipt = fields.Boolean("Cash Receipt", readonly=True)
    records = fields.Text("Approved Records", readonly=True)
    approved = fields.Integer("Approved", readonly=True)
    failed = fields.Integer("Failed", readonly=True)
    failures = fields.Text("Failures", readonly=True)
    chunks = fields.Integer("Transactions", readonly=True,
        help="How many transactions the approval took: failed chunks are "
        "approved again in halves.")
    restarts = fields.Integer("Restarts", readonly=True,
        help="How many times Tryton restarted a chunk to declare a lock.")
    documents = fields.One2Many(
        'commerce.document', 'approval', "Documents", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'DESC'))

    def get_rec_name(self, name):
        return '%s @ %s' % (
            self.user.rec_name if self.user else '',
            self.date.strftime('%Y-%m-%d %H:%M') if self.date else '')


class Document(ModelSQL, ModelView):
    "Cloud Commerce Generated Document"
    __name__ = 'commerce.document'

    approval = fields.Many2One(
        'commerce.approval', "Approval", readonly=True, ondelete='CASCADE')
    store = fields.Many2One('web.shop', "Store", readonly=True)
    company = fields.Many2One('company.company', "Company", readonly=True)
    source = fields.Reference(
        "Staged Record", selection=STAGED_MODELS, required=True,
        readonly=True)
    kind = fields.Selection(DOCUMENT_KINDS, "Kind", required=True,
        readonly=True)
    document = fields.Reference(
        "Document", selection=[
            ('sale.sale', "Sale"),
            ('stock.shipment.out', "Customer Shipment"),
            ('account.invoice', "Invoice"),
            ('account.payment', "Payment"),
            ], required=True, readonly=True)
    carrier = fields.Char("Carrier", readonly=True)
    tracking_number = fields.Char("Tracking Number", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('source_kind_document_unique',
                Unique(t, t.source, t.kind, t.document),
                'cloud_commerce.msg_document_unique'),
            ]


class Approver(Model):
    "Cloud Commerce Approver"
    __name__ = 'commerce.approver'

    @classmethod
    def approve(cls, model, ids, options):
        """Approve the staged records in isolated chunks.

        Return the approval history record and {id: reason} of failures.
        The transaction is committed after each chunk."""
        failures = {}
        approved = []
        stats = {'chunks': 0, 'restarts': 0}
        for chunk in grouped_slice(ids, CHUNK):
            cls._approve_isolated(model, list(chunk), options, approved,
                failures, stats)
        approval_id = cls._record_history(
            model, approved, failures, options, stats)
        return approval_id, failures

    @classmethod
    def _approve_isolated(
            cls, model, ids, options, approved, failures, stats):
        stats['chunks'] += 1
        try:
            approved.extend(cls._run_chunk(model, ids, options, stats))
        except TransactionError:
            raise
        except backend.DatabaseOperationalError:
            # Another approval holds these records: it approves them
            reason = gettext('cloud_commerce.msg_approval_locked')
            failures.update(dict.fromkeys(ids, reason))
        except Exception as exception:
            if len(ids) == 1:
                logger.info("approval of %s %s failed: %s",
                    model, ids[0], exception)
                failures[ids[0]] = cls._reason(exception)
                cls._mark_failed(model, ids[0], failures[ids[0]])
                return
            logger.info("approval of %s records failed, split: %s",
                len(ids), exception)
            middle = len(ids) // 2
            for half in [ids[:middle], ids[middle:]]:
                cls._approve_isolated(model, half, options, approved,
                    failures, stats)

    @staticmethod
    def _reason(exception):
        message = getattr(exception, 'message', None) or str(exception)
        return message or exception.__class__.__name__

    @classmethod
    def _run_chunk(cls, model, ids, options, stats):
        "Approve the chunk in a new transaction that commits it"
        transaction = Transaction()
        extras = cls._locks(model, ids)
        while True:
            try:
                with transaction.new_transaction(**extras) as chunk:
                    Staged = Pool().get(model)
                    records = Staged.browse(ids)
                    done = cls.approve_records(records, options)
                    chunk.commit()
                    return done
            except TransactionError as error:
                # Tryton wants every lock declared when the transaction
                # starts: declare it and start again
                stats['restarts'] += 1
                if stats['restarts'] > 10 * (stats['chunks'] + 1):
                    raise
                error.fix(extras)
                cls._learn_locks(extras)
                logger.info("approval chunk restarted: %s", extras)

    @classmethod
    def _locks(cls, model, ids):
        """Return the locks an approval takes, declared at the start of its
        transaction so Tryton needs not restart it"""
        pool = Pool()
        Staged = pool.get(model)
        Sequence = pool.get('ir.sequence.strict')
        Journal = pool.get('account.journal.period')
        sequences = Sequence.search([])
        extras = {
            '_lock_records': {
                Staged._table: list(ids),
                Sequence._table: [s.id for s in sequences],
                },
            '_lock_tables': [Journal._table],
            }
        for table in _learned_tables:
            if table not in extras['_lock_tables']:
                extras['_lock_tables'].append(table)
        return extras

    @staticmethod
    def _learn_locks(extras):
        _learned_tables.update(extras.get('_lock_tables', []))

    @classmethod
    def _mark_failed(cls, model, record_id, reason):
        transaction = Transaction()
        Staged = Pool().get(model)
        locks = {'_lock_records': {Staged._table: [record_id]}}
        try:
            with transaction.new_transaction(**locks) as failing:
                Staged = Pool().get(model)
                record = Staged(record_id)
                if record.state in {'pending', 'error'}:
                    Staged.write([record], {
                            'state': 'error',
                            'error_reason': reason,
                            })
                failing.commit()
        except backend.DatabaseOperationalError:
            # Another approval holds it: the reason stays in the history
            pass

    @classmethod
    def _record_history(cls, model, approved, failures, options, stats):
        pool = Pool()
        Approval = pool.get('commerce.approval')
        Document = pool.get('commerce.document')
        Staged = pool.get(model)
        transaction = Transaction()
        with transaction.new_transaction() as history:
            records = Staged.browse(approved)
            failed = Staged.browse(list(failures))
            store = (records or failed or [None])[0]
            store = store.store if store else None
            approval = Approval(
                store=store, company=store.company if store else None,
                user=transaction.user,
                date=dt.datetime.now(),
                records=', '.join(r.rec_name for r in records),
                approved=len(records), failed=len(failures),
                chunks=stats['chunks'], restarts=stats['restarts'],
                failures='\n'.join(
                    f'{r.rec_name}: {failures[r.id]}' for r in failed),
                **{f'create_{k}': bool(options.get(k))
                    for k, _ in DOCUMENT_KINDS})
            approval.save()
            documents = Document.search([
                    ('source', 'in', [str(r) for r in records]),
                    ('approval', '=', None),
                    ])
            Document.write(documents, {'approval': approval.id})
            history.commit()
        return approval.id

    @classmethod
    def approve_records(cls, records, options):
        "Approve the records in the current transaction"
        pool = Pool()
        if not records:
            return []
        Staged = records[0].__class__
        Staged.lock(records)
        records = [r for r in Staged.browse(records)
            if r.state in {'pending', 'error'}]
        if hasattr(Staged, 'components'):
            cls.approve_components(
                [c for r in records for c in r.components()])
            Documents = pool.get('commerce.document.builder')
            Documents.create_documents(records, options)
        else:
            cls.approve_components(records)
        return [r.id for r in records]

    @classmethod
    def approve_components(cls, components):
        "Approve customers, items, locations and sales people"
        by_model = defaultdict(set)
        for component in components:
            by_model[component.__class__].add(component)
        for Staged, records in by_model.items():
            records = [r for r in Staged.browse(list(records))
                if r.state != 'approved']
            cls._approve_targets(Staged, records)

    @classmethod
    def _rematch_new(cls, Staged, records):
        "Match again what an earlier approval may have created meanwhile"
        pool = Pool()
        Matcher = pool.get('commerce.matcher')
        new = [r for r in records
            if not r.target and r.match_state != 'suggested'
            and r.match_rule != 'manual' and r.state == 'pending']
        if new and Staged._canonical_kind != 'location':
            Matcher.match(Staged, new, documents=False)

    @classmethod
    def _approve_targets(cls, Staged, records):
        for record in records:
            if record.state == 'trashed':
                raise ApprovalError(gettext(
                        'cloud_commerce.msg_component_trashed',
                        record=record.rec_name))
            if record.match_state == 'suggested' and not record.target:
                raise ApprovalError(gettext(
                        'cloud_commerce.msg_component_needs_review',
                        record=record.rec_name,
                        reason=record.match_explanation or ''))
        cls._rematch_new(Staged, records)
        records = Staged.browse(records)
        new = [r for r in records if not r.target]
        targets, by_key = [], {}
        for record in new:
            key = record.target_key()
            if key is None or key not in by_key:
                target = record.new_target()
                if target is None:
                    raise ApprovalError(gettext(
                            'cloud_commerce.msg_no_target',
                            record=record.rec_name))
                if key is not None:
                    by_key[key] = target
            targets.append(by_key.get(key) or target)
        unsaved = list({id(t): t for t in targets
                if t.id is None or t.id < 0}.values())
        saved = dict(zip(map(id, unsaved), Staged.save_targets(unsaved)))
        targets = [saved.get(id(t), t) for t in targets]
        to_write = []
        for record, target in zip(new, targets):
            to_write.extend(([record], {Staged._target_field: target.id}))
        if to_write:
            Staged.write(*to_write)
        if records:
            Staged.write(records, {
                    'state': 'approved',
                    'error_reason': None,
                    })
