# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""The seed's "Auto-creation of additional documents" pop-up."""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from ..models.approval import CHUNK

DOCUMENT_MODELS = {'commerce.order', 'commerce.cash_sale'}


class ApproveStart(ModelView):
    "Auto-creation of additional documents"
    __name__ = 'commerce.approve.start'

    create_sale = fields.Boolean("Sales Order", readonly=True,
        help="The sales order is always created: the other documents "
        "come from it.")
    create_shipment = fields.Boolean("Shipment")
    create_invoice = fields.Boolean("Sales Invoice")
    create_receipt = fields.Boolean(
        "Cash Receipt",
        states={'readonly': ~Eval('create_invoice')},
        help="Pays the invoice: it needs the invoice.")
    make_default = fields.Boolean(
        "Enable this as Default in Store Settings",
        help="Approve the next records of the store with these documents "
        "without asking.")
    count = fields.Integer("Records", readonly=True)

    @fields.depends('create_invoice', 'create_receipt')
    def on_change_create_invoice(self):
        if not self.create_invoice:
            self.create_receipt = False


class ApproveResult(ModelView):
    "Approval Result"
    __name__ = 'commerce.approve.result'

    approved = fields.Integer("Approved", readonly=True)
    failed = fields.Integer("Failed", readonly=True)
    queued = fields.Integer("Queued", readonly=True,
        help="Records handed to the queue workers: see the Approval History "
        "for their results.")
    failures = fields.Text("Failures", readonly=True)


class Approve(Wizard):
    "Approve Staged Records"
    __name__ = 'commerce.approve'
    start_state = 'check'
    check = StateTransition()
    start = StateView('commerce.approve.start',
        'cloud_commerce.approve_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Proceed", 'approve', 'tryton-ok', default=True),
            ])
    approve = StateTransition()
    result = StateView('commerce.approve.result',
        'cloud_commerce.approve_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    @property
    def _documents(self):
        return self.model.__name__ in DOCUMENT_MODELS

    @property
    def _pending(self):
        return [r for r in self.records if r.state in {'pending', 'error'}]

    def transition_check(self):
        if not self._documents:
            return 'approve'
        stores = {r.store for r in self.records}
        if len(stores) == 1:
            store, = stores
            if store.commerce_default_documents:
                self.start.create_sale = True
                for name in ['shipment', 'invoice', 'receipt']:
                    setattr(self.start, f'create_{name}',
                        getattr(store, f'commerce_create_{name}'))
                self.start.make_default = False
                return 'approve'
        return 'start'

    def default_start(self, fields):
        records = self._pending
        return {
            'create_sale': True,
            'create_shipment': any(r.shipped for r in records),
            'create_invoice': True,
            'create_receipt': any(r.paid for r in records),
            'make_default': False,
            'count': len(records),
            }

    def _options(self):
        if not self._documents:
            return {}
        return {
            'sale': True,
            'shipment': bool(self.start.create_shipment),
            'invoice': bool(self.start.create_invoice),
            'receipt': bool(
                self.start.create_invoice and self.start.create_receipt),
            }

    def transition_approve(self):
        pool = Pool()
        Approver = pool.get('commerce.approver')
        Shop = pool.get('web.shop')
        Config = pool.get('commerce.configuration')
        options = self._options()
        if self._documents and self.start.make_default:
            Shop.write(list({r.store for r in self.records}), {
                    'commerce_default_documents': True,
                    'commerce_create_shipment': options['shipment'],
                    'commerce_create_invoice': options['invoice'],
                    'commerce_create_receipt': options['receipt'],
                    })
        ids = [r.id for r in self._pending]
        self.result.queued = 0
        if len(ids) > Config(1).approval_queue_threshold:
            self._queue(ids, options)
            self.result.queued = len(ids)
            self.result.approved = self.result.failed = 0
            self.result.failures = None
            return 'result'
        _, failures = Approver.approve(self.model.__name__, ids, options)
        self.result.approved = len(ids) - len(failures)
        self.result.failed = len(failures)
        Staged = self.model
        self.result.failures = '\n'.join(
            gettext('cloud_commerce.msg_approval_failure',
                record=Staged(i).rec_name, reason=reason)
            for i, reason in failures.items())
        return 'result'

    def _queue(self, ids, options):
        "Hand the approval to the queue workers, one task per chunk"
        Staged = self.model
        with Transaction().set_context(queue_name='cloud_commerce'):
            for chunk in grouped_slice(ids, CHUNK):
                Staged.__queue__.approve_queued(
                    Staged.browse(list(chunk)), options)

    def default_result(self, fields):
        return {
            'approved': self.result.approved,
            'failed': self.result.failed,
            'queued': self.result.queued,
            'failures': self.result.failures,
            }
