# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Pull a store's records into the staging area: cron, Refresh, webhooks."""
import datetime as dt
import logging

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta

from ..connectors import errors as connector_errors

logger = logging.getLogger(__name__)

BATCH = 500
# kind: (staged model, client generator, incremental)
KINDS = {
    'shipstation': [
        ('location', 'commerce.location', 'iter_locations', False),
        ('customer', 'commerce.customer', 'iter_customers', False),
        ('item', 'commerce.item', 'iter_items', False),
        ('order', 'commerce.order', 'iter_orders', True),
        ],
    'square': [
        ('location', 'commerce.location', 'iter_locations', False),
        ('sales_person', 'commerce.sales_person', 'iter_sales_people', False),
        ('customer', 'commerce.customer', 'iter_customers', False),
        ('item', 'commerce.item', 'iter_items', False),
        ('cash_sale', 'commerce.cash_sale', 'iter_cash_sales', True),
        ],
    }


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


class Shop(metaclass=PoolMeta):
    __name__ = 'web.shop'

    @classmethod
    def commerce_sync(cls, shops):
        "Pull every kind of record of the stores into the staging area"
        for shop in shops:
            shop._commerce_sync()

    def _commerce_sync(self):
        pool = Pool()
        Log = pool.get('commerce.sync.log')
        Cursor = pool.get('commerce.sync.cursor')
        self.__class__.lock([self])
        started = utcnow()
        log = Log(store=self, started=started.replace(tzinfo=None),
            fetched=0, created=0, updated=0, failed=0)
        try:
            client = self.commerce_client()
            for kind, model, method, incremental in KINDS[self.type]:
                cursor = Cursor.get(self, kind)
                kwargs = {}
                if incremental:
                    since = cursor.since(self.commerce_overlap)
                    kwargs = self._window_arguments(method, since, started)
                self._stage_kind(client, model, method, kwargs, log)
                cursor.position = started.replace(tzinfo=None)
                cursor.save()
        except connector_errors.ConnectorError as exception:
            logger.warning("sync of store %s failed: %s",
                self.id, exception.__class__.__name__)
            log.error = str(exception)
            self.commerce_status = 'attention'
            # A Char holds one line
            self.commerce_status_reason = gettext(
                'cloud_commerce.msg_sync_failed',
                error=' '.join(str(exception).split()))
        else:
            self.commerce_status = 'online'
            self.commerce_status_reason = None
            self.commerce_last_sync = started.replace(tzinfo=None)
        log.finished = utcnow().replace(tzinfo=None)
        log.save()
        self.save()
        self._commerce_match_pending()

    @classmethod
    def commerce_stage_resource(cls, shops, resource_url):
        """Stage the orders a ShipStation webhook's resource_url lists.

        The URL is only followed on the store's own API host."""
        pool = Pool()
        Order = pool.get('commerce.order')
        for shop in shops:
            client = shop.commerce_client()
            records, failures = [], []
            for record in client.fetch_resource(
                    resource_url, errors='yield'):
                if isinstance(record, connector_errors.InvalidRecord):
                    failures.append((record.raw, record.error))
                elif getattr(record, 'kind', None) == 'order':
                    records.append(record)
            Order.stage(shop, records, failures)
            shop._commerce_match_pending()

    @staticmethod
    def _window_arguments(method, since, until):
        if method == 'iter_orders':
            return {'modified_since': since, 'modified_until': until,
                'with_shipments': True}
        return {'updated_since': since, 'updated_until': until}

    def _stage_kind(self, client, model, method, kwargs, log):
        pool = Pool()
        Staged = pool.get(model)
        records, failures = [], []

        def flush():
            created, updated, failed = Staged.stage(self, records, failures)
            log.fetched += len(records) + len(failures)
            log.created += created
            log.updated += updated
            log.failed += failed
            del records[:]
            del failures[:]

        for record in getattr(client, method)(errors='yield', **kwargs):
            if isinstance(record, connector_errors.InvalidRecord):
                failures.append((record.raw, record.error))
            else:
                records.append(record)
            if len(records) + len(failures) >= BATCH:
                flush()
        flush()

    def _commerce_match_pending(self):
        pool = Pool()
        for model in ['commerce.customer', 'commerce.item',
                'commerce.location', 'commerce.sales_person',
                'commerce.order', 'commerce.cash_sale']:
            Staged = pool.get(model)
            records = Staged.search([
                    ('store', '=', self.id),
                    ('state', '=', 'pending'),
                    ])
            Staged.match(records)


class WebhookEvent(ModelSQL):
    "Cloud Commerce Webhook Event"
    __name__ = 'commerce.webhook.event'

    store = fields.Many2One(
        'web.shop', "Store", required=True, ondelete='CASCADE')
    event_id = fields.Char("Event ID", required=True)
    event_type = fields.Char("Event Type")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('store_event_unique', Unique(t, t.store, t.event_id),
                'cloud_commerce.msg_webhook_event_unique'),
            ]

    @classmethod
    def register(cls, store, event_id, event_type=None):
        "Record the event; return False when it was already received"
        if cls.search([
                    ('store', '=', store.id),
                    ('event_id', '=', event_id),
                    ], limit=1):
            return False
        cls.create([{
                    'store': store.id,
                    'event_id': event_id,
                    'event_type': event_type,
                    }])
        return True


class SyncCursor(ModelSQL, ModelView):
    "Cloud Commerce Sync Cursor"
    __name__ = 'commerce.sync.cursor'

    store = fields.Many2One(
        'web.shop', "Store", required=True, ondelete='CASCADE')
    kind = fields.Char("Kind", required=True, readonly=True)
    position = fields.DateTime(
        "Position", readonly=True,
        help="Records changed at the store after this time (UTC) are "
        "pulled by the next sync, minus the store's overlap.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('store_kind_unique', Unique(t, t.store, t.kind),
                'cloud_commerce.msg_cursor_unique'),
            ]

    @classmethod
    def get(cls, store, kind):
        cursors = cls.search([
                ('store', '=', store.id),
                ('kind', '=', kind),
                ], limit=1)
        if cursors:
            return cursors[0]
        return cls(store=store, kind=kind, position=None)

    def since(self, overlap):
        if not self.position:
            return None
        return (self.position - (overlap or dt.timedelta(0))).replace(
            tzinfo=dt.timezone.utc)


class SyncLog(ModelSQL, ModelView):
    "Cloud Commerce Sync Log"
    __name__ = 'commerce.sync.log'

    store = fields.Many2One(
        'web.shop', "Store", required=True, ondelete='CASCADE',
        readonly=True)
    started = fields.DateTime("Started", readonly=True)
    finished = fields.DateTime("Finished", readonly=True)
    fetched = fields.Integer("Fetched", readonly=True)
    created = fields.Integer("Created", readonly=True)
    updated = fields.Integer("Updated", readonly=True)
    failed = fields.Integer("Failed", readonly=True)
    error = fields.Text("Error", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('started', 'DESC'))


