"""A local Square v2 server (werkzeug WSGI) for tests, demo and benchmarks.

It speaks the subset of the Connect API the connector uses
(reference/APIS.md section 2.8): an OAuth authorize page and token
endpoint, Bearer tokens that expire or are revoked, scopes, cursor paging
bound to the request, per-endpoint limits, a token-bucket 429, injected
faults and signed webhooks.  The data comes from ``square_data``.

Helpers for tests and the demo: ``issue_token`` (skip the browser),
``subscribe`` (webhook URL), ``simulate_sale``, ``complete_order`` and
``simulate_refund`` (live events, signed and POSTed).

Not simulated: eventual consistency of list results, the production and
sandbox hosts as one server (run two apps), PKCE, fulfillment events,
catalog search, customer search.
"""
import base64
import datetime as dt
import hashlib
import hmac
import html
import json
import logging
import random
import secrets
import threading
import time
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .square_data import UTC, SquareData, parse_time, rfc3339

logger = logging.getLogger(__name__)

ALL_SCOPES = (
    'MERCHANT_PROFILE_READ', 'ORDERS_READ', 'PAYMENTS_READ',
    'CUSTOMERS_READ', 'ITEMS_READ', 'EMPLOYEES_READ')
TOKEN_LIFETIME = dt.timedelta(days=30)
CODE_LIFETIME = dt.timedelta(minutes=5)
FAULTS = ('429', '500', 'slow', 'truncated')
DEMO_LOGIN = 'demo@example.com'
DEMO_PASSWORD = 'sandbox'


class ApiError(Exception):
    """An error answered in Square's ``{"errors": [...]}`` shape."""

    def __init__(self, status, code, detail, category=None, field=None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.category = category or {
            401: 'AUTHENTICATION_ERROR', 403: 'AUTHENTICATION_ERROR',
            429: 'RATE_LIMIT_ERROR', 500: 'API_ERROR',
            }.get(status, 'INVALID_REQUEST_ERROR')
        self.field = field

    def response(self):
        error = {'category': self.category, 'code': self.code,
            'detail': self.detail}
        if self.field:
            error['field'] = self.field
        return json_response({'errors': [error]}, self.status)


def json_response(data, status=200):
    return Response(
        json.dumps(data), status=status, mimetype='application/json')


def bad_request(detail, code='BAD_REQUEST', field=None):
    return ApiError(400, code, detail, field=field)


class TokenBucket:
    "``capacity`` requests, refilled at ``capacity / window`` per second."

    def __init__(self, capacity, window=1.0, monotonic=time.monotonic):
        self.capacity = capacity
        self.rate = capacity / window
        self.monotonic = monotonic
        self.tokens = float(capacity)
        self.updated = monotonic()
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            now = self.monotonic()
            self.tokens = min(
                self.capacity,
                self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class SquareSandbox:
    """The WSGI application; ``make_app`` builds one."""

    def __init__(self, seed=1, orders=200, payments=None, fault_rate=0.0,
            rate_limit=None, rate_window=1.0, client_id='sandbox-app',
            client_secret='sandbox-secret',
            signature_key='sandbox-signature-key', clock=None,
            access_token=None, redirect_uri=None, faults=FAULTS,
            slow_seconds=2.0, webhook_post=None, webhook_retries=2,
            login=DEMO_LOGIN, password=DEMO_PASSWORD,
            monotonic=time.monotonic, sleep=time.sleep):
        self.clock = clock or (lambda: dt.datetime.now(UTC))
        self.data = SquareData(
            seed=seed, orders=orders, payments=payments, now=self.clock())
        self.client_id = client_id
        self.client_secret = client_secret
        self.signature_key = signature_key
        self.redirect_uri = redirect_uri
        self.login = login
        self.password = password
        self.fault_rate = fault_rate
        self.faults = tuple(faults)
        self.slow_seconds = slow_seconds
        self.sleep = sleep
        self.fault_rng = random.Random(seed * 7919 + 17)
        self.bucket = TokenBucket(rate_limit, rate_window, monotonic) if (
            rate_limit) else None
        self.lock = threading.RLock()
        self.codes = {}
        self.tokens = {}
        self.refresh_tokens = {}
        self.subscriptions = []
        self.webhook_post = webhook_post or _post_webhook
        self.webhook_retries = webhook_retries
        self.deliveries = []
        self.square_versions = set()
        self.requests = 0
        self.faults_injected = 0
        if access_token:
            self.issue_token(access_token=access_token, expires_at=None)
        self.url_map = Map([
            Rule('/oauth2/authorize', endpoint='authorize',
                methods=['GET', 'POST']),
            Rule('/oauth2/token', endpoint='token', methods=['POST']),
            Rule('/oauth2/revoke', endpoint='revoke', methods=['POST']),
            Rule('/oauth2/token/status', endpoint='token_status',
                methods=['POST']),
            Rule('/v2/locations', endpoint='locations'),
            Rule('/v2/team-members/search', endpoint='team_members',
                methods=['POST']),
            Rule('/v2/customers', endpoint='customers'),
            Rule('/v2/catalog/list', endpoint='catalog'),
            Rule('/v2/orders/search', endpoint='search_orders',
                methods=['POST']),
            Rule('/v2/orders/batch-retrieve', endpoint='batch_orders',
                methods=['POST']),
            Rule('/v2/orders/<order_id>', endpoint='order'),
            Rule('/v2/payments', endpoint='payments'),
            Rule('/v2/payments/<payment_id>', endpoint='payment'),
            Rule('/v2/refunds', endpoint='refunds'),
            Rule('/v2/refunds/<refund_id>', endpoint='refund'),
            Rule('/v2/webhooks/subscriptions', endpoint='subscriptions',
                methods=['GET', 'POST']),
            ])

    # WSGI

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except ApiError as error:
            response = error.response()
        except HTTPException as error:
            response = ApiError(
                error.code, 'NOT_FOUND' if error.code == 404 else
                'BAD_REQUEST', error.description).response()
        return response(environ, start_response)

    def dispatch(self, request):
        adapter = self.url_map.bind_to_environ(request.environ)
        endpoint, args = adapter.match()
        handler = getattr(self, 'on_' + endpoint)
        if request.path.startswith('/oauth2/'):
            return handler(request, **args)
        with self.lock:
            self.requests += 1
        version = request.headers.get('Square-Version')
        if version:
            self.square_versions.add(version)
        if self.bucket and not self.bucket.take():
            raise ApiError(
                429, 'RATE_LIMITED', "Rate limit exceeded; back off.")
        fault = self._draw_fault()
        if fault == '429':
            raise ApiError(429, 'RATE_LIMITED', "Injected rate limit.")
        if fault == '500':
            raise ApiError(
                500, 'INTERNAL_SERVER_ERROR', "Injected server error.")
        token = self.authenticate(request)
        response = handler(request, token=token, **args)
        if fault == 'slow':
            self.sleep(self.slow_seconds)
        elif fault == 'truncated':
            body = response.get_data()
            response.set_data(body[:max(1, len(body) // 2)])
        return response

    def _draw_fault(self):
        if not self.fault_rate:
            return None
        with self.lock:
            if self.fault_rng.random() >= self.fault_rate:
                return None
            self.faults_injected += 1
            return self.fault_rng.choice(self.faults)

    # OAuth

    def issue_token(self, scopes=ALL_SCOPES, expires_at=..., access_token=None,
            refresh_token=None):
        "Issue a token without the browser flow (tests, demo)."
        now = self.clock()
        token = {
            'access_token': access_token or 'EAAA' + secrets.token_urlsafe(
                32),
            'refresh_token': refresh_token or 'EQAA' + secrets.token_urlsafe(
                32),
            'expires_at': now + TOKEN_LIFETIME if expires_at is ... else (
                expires_at),
            'scopes': tuple(scopes),
            'merchant_id': self.data.merchant_id,
            'revoked': False,
            }
        with self.lock:
            self.tokens[token['access_token']] = token
            self.refresh_tokens.setdefault(token['refresh_token'], {
                    'scopes': token['scopes'], 'revoked': False})
        return self._token_body(token)

    def _token_body(self, token):
        body = {
            'access_token': token['access_token'], 'token_type': 'bearer',
            'merchant_id': token['merchant_id'],
            'refresh_token': token['refresh_token'], 'short_lived': False,
            }
        if token['expires_at']:
            body['expires_at'] = rfc3339(token['expires_at']).replace(
                '.000Z', 'Z')
        return body

    def authenticate(self, request):
        header = request.headers.get('Authorization', '')
        if not header.startswith('Bearer '):
            raise ApiError(401, 'UNAUTHORIZED',
                "This request could not be authorized.")
        token = self.tokens.get(header[len('Bearer '):].strip())
        if token is None:
            raise ApiError(401, 'UNAUTHORIZED',
                "The access token is not valid.")
        if token['revoked']:
            raise ApiError(401, 'ACCESS_TOKEN_REVOKED',
                "The access token has been revoked.")
        if token['expires_at'] and self.clock() >= token['expires_at']:
            raise ApiError(401, 'ACCESS_TOKEN_EXPIRED',
                "The access token has expired.")
        return token

    @staticmethod
    def require(token, scope):
        if scope not in token['scopes']:
            raise ApiError(403, 'INSUFFICIENT_SCOPES',
                "The merchant has not given your application sufficient "
                f"permissions to do that. Missing scope: {scope}.")

    def on_authorize(self, request):
        params = request.values
        if params.get('client_id') != self.client_id:
            return self._login_page(params, "Unknown application.", 400)
        if request.method == 'GET':
            return self._login_page(params)
        redirect_uri = params.get('redirect_uri') or self.redirect_uri
        if params.get('action') == 'deny':
            return self._redirect(redirect_uri, {
                    'error': 'access_denied',
                    'error_description': 'user_denied',
                    'state': params.get('state', '')})
        if (params.get('email'), params.get('password')) != (
                self.login, self.password):
            return self._login_page(
                params, "Incorrect email or password.", 401)
        code = 'sq0cgp-' + secrets.token_urlsafe(24)
        scopes = tuple(
            (params.get('scope') or ' '.join(ALL_SCOPES)).replace(
                '+', ' ').split())
        with self.lock:
            self.codes[code] = {
                'scopes': scopes, 'redirect_uri': params.get('redirect_uri'),
                'expires_at': self.clock() + CODE_LIFETIME}
        return self._redirect(
            redirect_uri, {'code': code, 'state': params.get('state', '')})

    def _redirect(self, redirect_uri, query):
        if not redirect_uri:
            code = html.escape(query.get('code', ''))
            return Response(
                f"<p>Authorization code: <code>{code}</code></p>",
                mimetype='text/html')
        separator = '&' if '?' in redirect_uri else '?'
        response = Response(status=302)
        response.headers['Location'] = (
            redirect_uri + separator + urlencode(query))
        return response

    def _login_page(self, params, error=None, status=200):
        hidden = ''.join(
            f'<input type="hidden" name="{name}" '
            f'value="{html.escape(params.get(name, ""))}">'
            for name in ('client_id', 'scope', 'state', 'redirect_uri'))
        scopes = html.escape(
            (params.get('scope') or ' '.join(ALL_SCOPES)).replace('+', ' '))
        message = f'<p class="error" role="alert">{html.escape(error)}</p>' \
            if error else ''
        page = LOGIN_PAGE.format(
            hidden=hidden, error=message, scopes=scopes,
            login=html.escape(self.login),
            password=html.escape(self.password))
        return Response(page, status=status, mimetype='text/html')

    def on_token(self, request):
        body = request.get_json(silent=True) or {}
        if (body.get('client_id'), body.get('client_secret')) != (
                self.client_id, self.client_secret):
            raise ApiError(401, 'UNAUTHORIZED',
                "Invalid client_id or client_secret.")
        grant = body.get('grant_type')
        if grant == 'authorization_code':
            return json_response(self._grant_code(body))
        if grant == 'refresh_token':
            return json_response(self._grant_refresh(body))
        raise bad_request(
            f"Unsupported grant_type {grant!r}.", 'INVALID_VALUE',
            'grant_type')

    def _grant_code(self, body):
        with self.lock:
            code = self.codes.pop(body.get('code'), None)
        if code is None or self.clock() >= code['expires_at']:
            raise ApiError(401, 'UNAUTHORIZED',
                "The authorization code is invalid, expired or used.")
        if code['redirect_uri'] and body.get('redirect_uri') not in (
                None, code['redirect_uri']):
            raise bad_request("redirect_uri does not match.",
                'INVALID_VALUE', 'redirect_uri')
        return self.issue_token(scopes=code['scopes'])

    def _grant_refresh(self, body):
        refresh_token = body.get('refresh_token')
        grant = self.refresh_tokens.get(refresh_token)
        if grant is None or grant['revoked']:
            raise ApiError(401, 'UNAUTHORIZED',
                "The refresh token is invalid or revoked.")
        scopes = tuple(body.get('scopes') or grant['scopes'])
        return self.issue_token(scopes=scopes, refresh_token=refresh_token)

    def on_revoke(self, request):
        if request.headers.get('Authorization') != (
                f'Client {self.client_secret}'):
            raise ApiError(401, 'UNAUTHORIZED', "Invalid client secret.")
        body = request.get_json(silent=True) or {}
        if body.get('client_id') != self.client_id:
            raise ApiError(401, 'UNAUTHORIZED', "Invalid client_id.")
        access_token = body.get('access_token')
        with self.lock:
            if access_token:
                token = self.tokens.get(access_token)
                if token is None:
                    raise ApiError(404, 'NOT_FOUND', "Unknown access token.")
                token['revoked'] = True
                if not body.get('revoke_only_access_token'):
                    self._revoke_grant(token['refresh_token'])
            elif body.get('merchant_id') == self.data.merchant_id:
                for token in self.tokens.values():
                    token['revoked'] = True
                    self._revoke_grant(token['refresh_token'])
            else:
                raise bad_request("access_token or merchant_id is required.",
                    'MISSING_REQUIRED_PARAMETER')
        self.emit('oauth.authorization.revoked', 'revocation',
            self.data.merchant_id, {'revocation': {
                    'revoked_at': rfc3339(self.clock()),
                    'revoker_type': 'APPLICATION'}})
        return json_response({'success': True})

    def _revoke_grant(self, refresh_token):
        if refresh_token in self.refresh_tokens:
            self.refresh_tokens[refresh_token]['revoked'] = True
        for token in self.tokens.values():
            if token['refresh_token'] == refresh_token:
                token['revoked'] = True

    def on_token_status(self, request):
        token = self.authenticate(request)
        body = {'scopes': list(token['scopes']),
            'client_id': self.client_id,
            'merchant_id': token['merchant_id']}
        if token['expires_at']:
            body['expires_at'] = rfc3339(token['expires_at'])
        return json_response(body)

    # Reference data

    def on_locations(self, request, token):
        self.require(token, 'MERCHANT_PROFILE_READ')
        locations = sorted(self.data.locations, key=lambda l: l['name'])
        return json_response({'locations': locations})

    def on_team_members(self, request, token):
        self.require(token, 'EMPLOYEES_READ')
        body = self._json_body(request)
        limit = self._limit(body.get('limit'), 100, 1, 200)
        query = (body.get('query') or {}).get('filter') or {}
        members = [m for m in self.data.team_members
            if _team_member_matches(m, query)]
        page, cursor = self._page(members, body, limit)
        return json_response(_with_cursor({'team_members': page}, cursor))

    def on_customers(self, request, token):
        self.require(token, 'CUSTOMERS_READ')
        params = request.args.to_dict()
        limit = self._limit(params.get('limit'), 100, 1, 100, clamp=False)
        customers = self.data.customers
        if params.get('sort_field') == 'CREATED_AT':
            customers = sorted(customers, key=lambda c: c['created_at'])
        if params.get('sort_order') == 'DESC':
            customers = list(reversed(customers))
        page, cursor = self._page(customers, params, limit)
        return json_response(_with_cursor({'customers': page}, cursor))

    def on_catalog(self, request, token):
        self.require(token, 'ITEMS_READ')
        params = request.args.to_dict()
        types = params.get('types')
        objects = self.data.catalog
        if types:
            wanted = {t.strip().upper() for t in types.split(',')}
            objects = [o for o in objects if o['type'] in wanted]
        page, cursor = self._page(objects, params, 100)
        return json_response(_with_cursor({'objects': page}, cursor))

    # Orders

    def on_search_orders(self, request, token):
        self.require(token, 'ORDERS_READ')
        body = self._json_body(request)
        location_ids = body.get('location_ids') or []
        if not location_ids:
            raise bad_request("location_ids is required.",
                'MISSING_REQUIRED_PARAMETER', 'location_ids')
        if len(location_ids) > 10:
            raise bad_request("At most 10 location_ids are allowed.",
                'ARRAY_LENGTH_TOO_LONG', 'location_ids')
        limit = self._limit(body.get('limit'), 500, 1, 1000)
        query = body.get('query') or {}
        filters = query.get('filter') or {}
        sort = query.get('sort') or {}
        sort_field = sort.get('sort_field', 'CREATED_AT')
        sort_order = sort.get('sort_order', 'DESC')
        date_field, start, end = self._date_filter(
            filters.get('date_time_filter'), sort_field, body)
        states = set((filters.get('state_filter') or {}).get('states') or ())
        key = sort_field.lower()
        start, end = _stamp(start), _stamp(end)
        orders = [o for o in self.data.orders
            if o['location_id'] in location_ids
            and (not states or o['state'] in states)
            and _in_range(o.get(date_field), start, end)
            and (key != 'closed_at' or o.get('closed_at'))]
        orders.sort(key=lambda o: (o.get(key) or '', o['id']),
            reverse=sort_order == 'DESC')
        page, cursor = self._page(orders, body, limit)
        page = [self.render_order(o) for o in page]
        if body.get('return_entries'):
            entries = [{'order_id': o['id'], 'version': o.get('version'),
                    'location_id': o['location_id']} for o in page]
            return json_response(
                _with_cursor({'order_entries': entries}, cursor))
        return json_response(_with_cursor({'orders': page}, cursor))

    def _date_filter(self, date_filter, sort_field, body):
        if not date_filter:
            return 'created_at', None, None
        fields = [f for f in ('created_at', 'updated_at', 'closed_at')
            if date_filter.get(f)]
        if len(fields) != 1:
            raise bad_request(
                "Exactly one of created_at, updated_at or closed_at may be "
                "set in date_time_filter.", 'INVALID_VALUE',
                'query.filter.date_time_filter')
        field, = fields
        if sort_field.lower() != field:
            raise bad_request(
                f"sort_field must be {field.upper()} when filtering on "
                f"{field}.", 'INVALID_VALUE', 'query.sort.sort_field')
        time_range = date_filter[field]
        start = _parse_param(time_range.get('start_at'), 'start_at')
        end = _parse_param(time_range.get('end_at'), 'end_at')
        if end is None:
            # Bound to the first request: the cursor carries it.
            end = self._first_request_time(body)
        return field, start, end

    def _first_request_time(self, body):
        cursor = body.get('cursor')
        if cursor:
            return parse_time(_decode_cursor(cursor).get('t'))
        return self.clock()

    def on_batch_orders(self, request, token):
        self.require(token, 'ORDERS_READ')
        body = self._json_body(request)
        ids = body.get('order_ids') or []
        if len(ids) > 100:
            raise bad_request("At most 100 order_ids are allowed.",
                'ARRAY_LENGTH_TOO_LONG', 'order_ids')
        orders = [self.data.order(i) for i in ids]
        orders = [self.render_order(o) for o in orders if o and (
                not body.get('location_id')
                or o['location_id'] == body['location_id'])]
        return json_response({'orders': orders})

    def on_order(self, request, token, order_id):
        self.require(token, 'ORDERS_READ')
        order = self.data.order(order_id)
        if order is None:
            raise ApiError(404, 'NOT_FOUND', f"Order {order_id} not found.")
        return json_response({'order': self.render_order(order)})

    def render_order(self, order):
        "The order as seen now: processing fees appear late."
        now = self.clock()
        tenders = order.get('tenders')
        if not tenders or all(
                self.data.fee_effective.get(t['id'], now) <= now
                for t in tenders):
            return order
        order = dict(order)
        order['tenders'] = [dict(t) for t in tenders]
        for tender in order['tenders']:
            if self.data.fee_effective.get(tender['id'], now) > now:
                tender.pop('processing_fee_money', None)
        return order

    # Payments and refunds

    def on_payments(self, request, token):
        self.require(token, 'PAYMENTS_READ')
        params = request.args.to_dict()
        limit = self._limit(params.get('limit'), 100, 1, 100)
        location_id = params.get('location_id') or self.data.main_location_id
        payments = self._time_window(
            [p for p in self.data.payments
                if p['location_id'] == location_id], params)
        page, cursor = self._page(payments, params, limit)
        page = [self.render_payment(p) for p in page]
        return json_response(_with_cursor({'payments': page}, cursor))

    def on_payment(self, request, token, payment_id):
        self.require(token, 'PAYMENTS_READ')
        payment = next(
            (p for p in self.data.payments if p['id'] == payment_id), None)
        if payment is None:
            raise ApiError(
                404, 'NOT_FOUND', f"Payment {payment_id} not found.")
        return json_response({'payment': self.render_payment(payment)})

    def render_payment(self, payment):
        now = self.clock()
        effective = self.data.fee_effective.get(payment['id'])
        if effective is None or effective <= now:
            if effective is not None and payment['updated_at'] < rfc3339(
                    effective):
                return dict(payment, updated_at=rfc3339(effective))
            return payment
        return dict(payment, processing_fee=[])

    def on_refunds(self, request, token):
        self.require(token, 'PAYMENTS_READ')
        params = request.args.to_dict()
        limit = self._limit(params.get('limit'), 100, 1, 100)
        refunds = self.data.refunds
        if params.get('location_id'):
            refunds = [r for r in refunds
                if r['location_id'] == params['location_id']]
        if params.get('status'):
            refunds = [r for r in refunds if r['status'] == params['status']]
        refunds = self._time_window(refunds, params)
        page, cursor = self._page(refunds, params, limit)
        return json_response(_with_cursor({'refunds': page}, cursor))

    def on_refund(self, request, token, refund_id):
        self.require(token, 'PAYMENTS_READ')
        refund = next(
            (r for r in self.data.refunds if r['id'] == refund_id), None)
        if refund is None:
            raise ApiError(404, 'NOT_FOUND', f"Refund {refund_id} not found.")
        return json_response({'refund': refund})

    def _time_window(self, objects, params):
        "ListPayments/ListPaymentRefunds filters, sort and default window."
        now = self._first_request_time(params)
        begin = _parse_param(params.get('begin_time'), 'begin_time') or (
            now - dt.timedelta(days=365))
        end = _parse_param(params.get('end_time'), 'end_time') or now
        if begin > end:
            raise bad_request("begin_time is after end_time.",
                'INVALID_TIME_RANGE')
        updated_begin = _parse_param(
            params.get('updated_at_begin_time'), 'updated_at_begin_time')
        updated_end = _parse_param(
            params.get('updated_at_end_time'), 'updated_at_end_time')
        sort_field = (params.get('sort_field') or 'CREATED_AT').lower()
        if sort_field not in {'created_at', 'updated_at'}:
            sort_field = 'created_at'
        begin, end = _stamp(begin), _stamp(end)
        updated_begin = _stamp(updated_begin)
        updated_end = _stamp(updated_end)
        result = [o for o in objects
            if begin <= o['created_at'] < end
            and _in_range(o.get('updated_at'), updated_begin, updated_end)]
        result.sort(key=lambda o: (o[sort_field], o['id']),
            reverse=params.get('sort_order', 'DESC') == 'DESC')
        return result

    # Webhooks

    def on_subscriptions(self, request, token):
        if request.method == 'GET':
            return json_response({'subscriptions': self.subscriptions})
        body = self._json_body(request).get('subscription') or {}
        if not body.get('notification_url'):
            raise bad_request("notification_url is required.",
                'MISSING_REQUIRED_PARAMETER', 'subscription.notification_url')
        return json_response({'subscription': self.subscribe(
                    body['notification_url'], body.get('event_types'),
                    body.get('name'))})

    def subscribe(self, notification_url, event_types=None, name=None):
        "Register a webhook URL (all events when event_types is None)."
        now = rfc3339(self.clock())
        subscription = {
            'id': 'wbhk_' + secrets.token_hex(12),
            'name': name or 'sandbox', 'enabled': True,
            'event_types': list(event_types or ()),
            'notification_url': notification_url,
            'api_version': '2025-08-20',
            'signature_key': self.signature_key,
            'created_at': now, 'updated_at': now,
            }
        with self.lock:
            self.subscriptions.append(subscription)
        return subscription

    def emit(self, event_type, object_type, object_id, obj):
        "Sign and POST an event to every subscribed URL."
        event = {
            'merchant_id': self.data.merchant_id, 'type': event_type,
            'event_id': secrets.token_hex(16),
            'created_at': rfc3339(self.clock()),
            'data': {'type': object_type, 'id': object_id, 'object': obj},
            }
        body = json.dumps(event).encode()
        for subscription in list(self.subscriptions):
            wanted = subscription['event_types']
            if not subscription['enabled'] or (
                    wanted and event_type not in wanted):
                continue
            url = subscription['notification_url']
            headers = {
                'Content-Type': 'application/json',
                'x-square-hmacsha256-signature': sign(
                    subscription['signature_key'], url, body),
                'square-environment': 'Sandbox',
                'square-initial-delivery-timestamp': event['created_at'],
                }
            self._deliver(event_type, url, body, headers)
        return event

    def _deliver(self, event_type, url, body, headers):
        "POST until a 2xx, at most ``webhook_retries`` more times."
        reason = None
        for attempt in range(self.webhook_retries + 1):
            headers = dict(headers, **{'square-retry-number': str(attempt)})
            if reason:
                headers['square-retry-reason'] = reason
            status = self.webhook_post(url, body, headers)
            self.deliveries.append((event_type, url, status))
            if status is not None and 200 <= status < 300:
                return status
            reason = 'http_error' if status else 'http_timeout'
        return status

    def simulate_sale(self, location_id=None, state='COMPLETED'):
        """Ring up a POS sale now (``state='OPEN'``: an open ticket, paid
        later by ``complete_order``); emit its webhooks; return it."""
        with self.lock:
            self.data.now = self.clock()
            order = self.data.add_order(
                self.data.now - dt.timedelta(seconds=5), state=state,
                location_id=location_id, random_refund=False)
        self._emit_sale(order)
        return order

    def complete_order(self, order_id):
        "Pay an open order now; emit its webhooks; return it."
        with self.lock:
            self.data.now = self.clock()
            order = self.data.complete(self.data.order(order_id))
        self._emit_sale(order)
        return order

    def _emit_sale(self, order):
        for tender in order.get('tenders', ()):
            payment = self.data.payment(tender['id'])
            self.emit('payment.created', 'payment', payment['id'],
                {'payment': self.render_payment(payment)})
        self._emit_order_updated(order)

    def simulate_refund(self, payment_id, amount=None):
        "Refund (part of) a payment now; emit its webhooks."
        payment = self.data.payment(payment_id)
        order = self.data.order(payment['order_id'])
        with self.lock:
            refund = self.data._refund(
                order, payment_id, when=self.clock(), amount=amount)
        if refund:
            self.emit('refund.created', 'refund', refund['id'],
                {'refund': refund})
            self._emit_order_updated(order)
        return refund

    def _emit_order_updated(self, order):
        self.emit('order.updated', 'order_updated', order['id'], {
                'order_updated': {
                    'order_id': order['id'], 'version': order['version'],
                    'location_id': order['location_id'],
                    'state': order['state'],
                    'created_at': order['created_at'],
                    'updated_at': order['updated_at']}})

    # Helpers

    @staticmethod
    def _json_body(request):
        body = request.get_json(silent=True)
        if body is None and request.get_data():
            raise bad_request("The body is not valid JSON.",
                'EXPECTED_JSON_BODY')
        return body or {}

    @staticmethod
    def _limit(value, default, low, high, clamp=True):
        if value in (None, ''):
            return default
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise bad_request("limit must be an integer.",
                'EXPECTED_INTEGER', 'limit')
        if value < low:
            raise bad_request(f"limit must be at least {low}.",
                'VALUE_TOO_LOW', 'limit')
        if value > high:
            if clamp:
                return high
            raise bad_request(f"limit must be at most {high}.",
                'VALUE_TOO_HIGH', 'limit')
        return value

    def _page(self, objects, request_data, limit):
        """Slice a page; the cursor is bound to the request without it."""
        fingerprint = _fingerprint(request_data)
        offset = 0
        cursor = request_data.get('cursor')
        started = rfc3339(self.clock())
        if cursor:
            state = _decode_cursor(cursor)
            if state.get('f') != fingerprint:
                raise bad_request(
                    "The cursor does not belong to this request.",
                    'INVALID_CURSOR', 'cursor')
            offset = state['o']
            started = state['t']
        page = objects[offset:offset + limit]
        next_cursor = None
        if offset + limit < len(objects):
            next_cursor = _encode_cursor(
                {'o': offset + limit, 'f': fingerprint, 't': started})
        return page, next_cursor


LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Sign in to Square</title>
<style>body{{font-family:sans-serif;max-width:26em;margin:4em auto}}
label,input,button{{display:block;width:100%;margin:.4em 0}}
.error{{color:#b00}} .help{{color:#555;font-size:.9em}}</style></head>
<body><h1>Sign in to Square</h1>
<p>Sandbox: an application asks for these permissions: {scopes}</p>
{error}
<form method="post" action="/oauth2/authorize">{hidden}
<label for="email">Email or phone number</label>
<input id="email" name="email" type="text" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password"
 autocomplete="current-password" required>
<button type="submit" name="action" value="allow">Sign in</button>
</form>
<form method="post" action="/oauth2/authorize">{hidden}
<button type="submit" name="action" value="deny">Deny</button></form>
<p class="help">Demo credentials: <b>{login}</b> / <b>{password}</b>
 (a local sandbox, not the real Square).</p>
</body></html>
"""


def sign(signature_key, notification_url, body):
    digest = hmac.new(signature_key.encode(),
        notification_url.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _post_webhook(url, body, headers):
    import requests
    try:
        return requests.post(url, data=body, headers=headers, timeout=10
            ).status_code
    except requests.RequestException as exception:
        logger.warning("webhook to %s failed: %s", url, exception)
        return None


def _fingerprint(request_data):
    data = {k: v for k, v in request_data.items() if k != 'cursor'}
    blob = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _encode_cursor(state):
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode_cursor(cursor):
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        int(state['o'])
        return state
    except (ValueError, KeyError, TypeError):
        raise bad_request("The cursor is not valid.", 'INVALID_CURSOR',
            'cursor')


def _parse_param(value, name):
    if not value:
        return None
    try:
        result = parse_time(value)
    except ValueError:
        raise bad_request(f"{name} is not an RFC 3339 time.",
            'INVALID_TIME', name)
    if result.tzinfo is None:
        result = result.replace(tzinfo=UTC)
    return result


def _in_range(value, start, end):
    """Inclusive range test on RFC 3339 UTC strings with milliseconds:
    the data's times all share that format, so strings compare as times."""
    if start is None and end is None:
        return True
    if not value:
        return False
    return (start is None or value >= start) and (
        end is None or value <= end)


def _stamp(value):
    return rfc3339(value) if value is not None else None


def _team_member_matches(member, query):
    if query.get('status') and member['status'] != query['status']:
        return False
    if query.get('is_owner') is not None and (
            member['is_owner'] != query['is_owner']):
        return False
    wanted = set(query.get('location_ids') or ())
    if wanted:
        assigned = member['assigned_locations']
        if assigned['assignment_type'] == 'EXPLICIT_LOCATIONS':
            return bool(wanted & set(assigned['location_ids']))
    return True


def _with_cursor(body, cursor):
    if cursor:
        body['cursor'] = cursor
    return body


def make_app(seed=1, orders=200, payments=None, fault_rate=0.0,
        rate_limit=None, **options):
    """Build the Square sandbox WSGI app.

    ``payments`` (if given) generates orders until exactly that many
    payments exist, instead of ``orders`` orders.  ``rate_limit`` is the
    token bucket's size, refilled over ``rate_window`` seconds (None: off).
    ``fault_rate`` is the share of API requests answered with one of
    ``faults`` (429, 500, slow, truncated JSON).  ``access_token`` issues a
    token that never expires (demo).
    """
    return SquareSandbox(seed=seed, orders=orders, payments=payments,
        fault_rate=fault_rate, rate_limit=rate_limit, **options)
