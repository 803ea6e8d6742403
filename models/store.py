# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
import datetime as dt
import logging
import secrets
import urllib.parse

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.url import http_host

from ..connectors import errors as connector_errors
from ..exceptions import StoreConnectionError

logger = logging.getLogger(__name__)

COMMERCE_TYPES = {'shipstation', 'square'}
SHIPSTATION_URL = 'https://ssapi.shipstation.com'
SQUARE_URL = 'https://connect.squareup.com'


class Shop(metaclass=PoolMeta):
    __name__ = 'web.shop'

    _commerce = {
        'invisible': ~Eval('type').in_(list(COMMERCE_TYPES)),
        }
    _shipstation = {
        'invisible': Eval('type') != 'shipstation',
        'required': Eval('type') == 'shipstation',
        }
    _square = {
        'invisible': Eval('type') != 'square',
        }

    commerce_base_url = fields.Char(
        "API URL", states=_commerce,
        help="The vendor's API address, or a sandbox's.")
    shipstation_api_key = fields.Char(
        "API Key", strip=False, states=_shipstation)
    shipstation_api_secret = fields.Char(
        "API Secret", strip=False, states=_shipstation)
    square_client_id = fields.Char(
        "Application ID", states=_square)
    square_client_secret = fields.Char(
        "Application Secret", strip=False, states=_square)
    square_access_token = fields.Char(
        "Access Token", strip=False, states=_square,
        help="Filled by Connect; or paste a personal access token.")
    square_refresh_token = fields.Char(
        "Refresh Token", strip=False, readonly=True, states=_square)
    square_token_expires_at = fields.DateTime(
        "Token Expires At", readonly=True, states=_square)
    square_merchant_id = fields.Char(
        "Merchant", readonly=True, states=_square)
    square_oauth_state = fields.Char("OAuth State", readonly=True)
    square_signature_key = fields.Char(
        "Webhook Signature Key", strip=False, states=_square)
    commerce_webhook_token = fields.Char(
        "Webhook Token", readonly=True, states=_commerce)

    commerce_status = fields.Selection([
            (None, ""),
            ('online', "Online"),
            ('attention', "Needs Attention"),
            ], "Status", readonly=True, states=_commerce)
    commerce_status_reason = fields.Char(
        "Status Reason", readonly=True, states=_commerce)
    commerce_last_sync = fields.DateTime(
        "Last Sync", readonly=True, states=_commerce)
    commerce_status_text = fields.Function(
        fields.Char("Store Status", states=_commerce),
        'get_commerce_status_text')
    commerce_cursors = fields.One2Many(
        'commerce.sync.cursor', 'store', "Sync Cursors", readonly=True,
        states=_commerce)
    commerce_sync_logs = fields.One2Many(
        'commerce.sync.log', 'store', "Sync Log", readonly=True,
        states=_commerce)
    commerce_overlap = fields.TimeDelta(
        "Sync Overlap", required=True, states=_commerce,
        help="How far back each incremental sync reaches before the last "
        "cursor, so late changes at the vendor are not missed.")

    commerce_default_documents = fields.Boolean(
        "Use Default Documents", states=_commerce,
        help="Approve without asking which documents to create.")
    commerce_create_sale = fields.Boolean(
        "Create Sales Order", states=_commerce)
    commerce_create_shipment = fields.Boolean(
        "Create Shipment", states=_commerce)
    commerce_create_invoice = fields.Boolean(
        "Create Sales Invoice", states=_commerce)
    commerce_create_receipt = fields.Boolean(
        "Create Cash Receipt", states=_commerce)
    commerce_payment_journal = fields.Many2One(
        'account.payment.journal', "Payment Journal", states=_commerce,
        help="Where cash receipts are paid when no rule maps the "
        "payment method.")

    commerce_walk_in_party = fields.Many2One(
        'party.party', "Walk-in Customer", states=_commerce,
        help="The customer of the sales that name none (Square counter "
        "sales).")

    del _commerce, _shipstation, _square

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.type.selection.extend([
                ('shipstation', "ShipStation"),
                ('square', "Square"),
                ])
        commerce = Eval('type').in_(list(COMMERCE_TYPES))
        cls._buttons.update({
                'commerce_test_connection': {
                    'invisible': ~commerce,
                    'depends': ['type'],
                    },
                'commerce_connect': {
                    'invisible': Eval('type') != 'square',
                    'depends': ['type'],
                    },
                'commerce_refresh': {
                    'invisible': ~commerce,
                    'depends': ['type'],
                    },
                })

    @classmethod
    def default_commerce_overlap(cls):
        return dt.timedelta(minutes=10)

    @classmethod
    def default_commerce_create_sale(cls):
        return True

    @fields.depends('type', 'commerce_base_url')
    def on_change_type(self):
        try:
            super().on_change_type()
        except AttributeError:
            pass
        if not self.commerce_base_url:
            self.commerce_base_url = {
                'shipstation': SHIPSTATION_URL,
                'square': SQUARE_URL,
                }.get(self.type)

    def get_commerce_status_text(self, name):
        if self.commerce_status == 'online':
            when = self.commerce_last_sync
            if not when:
                return gettext('cloud_commerce.msg_status_connected')
            return gettext('cloud_commerce.msg_status_online',
                when=when.strftime('%Y-%m-%d %H:%M UTC'))
        elif self.commerce_status == 'attention':
            return gettext('cloud_commerce.msg_status_attention',
                reason=self.commerce_status_reason or '')

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('commerce_webhook_token'):
            values['commerce_webhook_token'] = secrets.token_urlsafe(24)
        return values

    @classmethod
    def copy(cls, shops, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'shipstation_api_secret', 'square_access_token',
                'square_refresh_token', 'square_token_expires_at',
                'square_oauth_state', 'commerce_webhook_token',
                'commerce_last_sync', 'commerce_status',
                'commerce_status_reason', 'commerce_cursors',
                'commerce_sync_logs']:
            default.setdefault(name, None)
        return super().copy(shops, default=default)

    @property
    def is_commerce(self):
        return self.type in COMMERCE_TYPES

    def commerce_client(self):
        "Return the connector client of the store"
        from ..connectors import shipstation, square
        url = self.commerce_base_url
        if self.type == 'shipstation':
            return shipstation.ShipStationClient(
                url, self.shipstation_api_key, self.shipstation_api_secret,
                currency=self.currency.code)
        elif self.type == 'square':
            self.commerce_refresh_token_if_needed()
            return square.SquareClient(url, self.square_access_token)

    def commerce_refresh_token_if_needed(self):
        from ..connectors import oauth
        if not self.square_refresh_token:
            return
        tokens = oauth.Tokens(
            access_token=self.square_access_token,
            refresh_token=self.square_refresh_token,
            expires_at=self.square_token_expires_at.replace(
                tzinfo=dt.timezone.utc)
            if self.square_token_expires_at else None,
            merchant_id=self.square_merchant_id)
        now = dt.datetime.now(dt.timezone.utc)
        if oauth.needs_refresh(tokens, now):
            tokens = oauth.refresh(
                self.commerce_base_url, self.square_client_id,
                self.square_client_secret, self.square_refresh_token)
            self.commerce_store_tokens(tokens)
            self.save()

    def commerce_store_tokens(self, tokens):
        self.square_access_token = tokens.access_token
        self.square_refresh_token = tokens.refresh_token
        self.square_token_expires_at = (
            tokens.expires_at.astimezone(dt.timezone.utc).replace(
                tzinfo=None) if tokens.expires_at else None)
        if getattr(tokens, 'merchant_id', None):
            self.square_merchant_id = tokens.merchant_id

    def commerce_resource_url_allowed(self, resource_url):
        "Tell whether a webhook's resource_url may get our credentials"
        try:
            self.commerce_client().check_resource_url(resource_url or '')
        except connector_errors.ConnectorError:
            return False
        return True

    @classmethod
    @ModelView.button
    def commerce_test_connection(cls, shops):
        for shop in shops:
            try:
                shop.commerce_client().test_connection()
            except connector_errors.ConnectorError as exception:
                raise StoreConnectionError(gettext(
                        'cloud_commerce.msg_connection_failed',
                        store=shop.rec_name, error=str(exception))
                    ) from exception
        cls.write(list(shops), {
                'commerce_status': 'online',
                'commerce_status_reason': None,
                })

    @classmethod
    @ModelView.button_action('cloud_commerce.url_square_connect')
    def commerce_connect(cls, shops):
        from ..connectors import oauth
        if not shops:
            return
        shop, = shops
        shop.square_oauth_state = secrets.token_urlsafe(24)
        shop.save()
        return {'url': oauth.authorize_url(
                shop.commerce_base_url, shop.square_client_id,
                oauth.SCOPES, shop.square_oauth_state,
                redirect_uri=shop.square_redirect_uri)}

    @property
    def square_redirect_uri(self):
        return http_host() + urllib.parse.quote(
            f'/{Transaction().database.name}/cloud_commerce/square/oauth')

    @classmethod
    @ModelView.button
    def commerce_refresh(cls, shops):
        cls.commerce_sync(shops)

    @classmethod
    def commerce_sync_all(cls, shops=None):
        "Synchronize every connected Cloud Commerce store (cron)"
        if shops is None:
            shops = cls.search([
                    ('type', 'in', list(COMMERCE_TYPES)),
                    ])
        for shop in shops:
            with Transaction().set_context(queue_name='cloud_commerce'):
                cls.__queue__.commerce_sync([shop])


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('web.shop|commerce_sync_all', "Synchronize Cloud Commerce"))
