"""Square OAuth 2 (authorization-code flow) and webhook signatures.

Code-flow refresh tokens do not expire and come back unchanged on
refresh; access tokens last 30 days, so a sync refreshes them well before
(``needs_refresh``).
"""
import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests

from .errors import AuthError, ConnectorError, TransientError

DEFAULT_BASE_URL = 'https://connect.squareup.com'
SQUARE_VERSION = '2025-08-20'
SCOPES = (
    'MERCHANT_PROFILE_READ', 'ORDERS_READ', 'PAYMENTS_READ',
    'CUSTOMERS_READ', 'ITEMS_READ', 'EMPLOYEES_READ')
REFRESH_MARGIN = dt.timedelta(days=7)


@dataclass
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: dt.datetime | None
    merchant_id: str | None
    scopes: tuple = ()
    short_lived: bool = False


def authorize_url(base_url, client_id, scopes, state, redirect_uri=None,
        locale=None):
    "The URL to send the seller's browser to."
    query = {
        'client_id': client_id,
        'scope': ' '.join(scopes),
        'session': 'false',
        'state': state,
        }
    if redirect_uri:
        query['redirect_uri'] = redirect_uri
    if locale:
        query['locale'] = locale
    return f"{_base(base_url)}/oauth2/authorize?{urlencode(query)}"


def exchange_code(base_url, client_id, client_secret, code,
        redirect_uri=None, *, scopes=None, session=None, timeout=30):
    """Trade an authorization code for Tokens.

    The token response does not list scopes: they are read from
    ``/oauth2/token/status`` unless ``scopes`` (those requested) is given.
    """
    body = {
        'client_id': client_id, 'client_secret': client_secret,
        'code': code, 'grant_type': 'authorization_code',
        }
    if redirect_uri:
        body['redirect_uri'] = redirect_uri
    data = _post(base_url, '/oauth2/token', body, session, timeout,
        "the authorization code")
    return _tokens(base_url, data, scopes, session, timeout)


def refresh(base_url, client_id, client_secret, refresh_token, *,
        scopes=None, session=None, timeout=30):
    "Get a new access token; the code-flow refresh token stays the same."
    body = {
        'client_id': client_id, 'client_secret': client_secret,
        'grant_type': 'refresh_token', 'refresh_token': refresh_token,
        }
    data = _post(base_url, '/oauth2/token', body, session, timeout,
        "the refresh token")
    data.setdefault('refresh_token', refresh_token)
    return _tokens(base_url, data, scopes, session, timeout)


def revoke(base_url, client_id, client_secret, access_token, *,
        session=None, timeout=30):
    "Revoke the seller's authorization (all tokens of the grant)."
    headers = {'Authorization': f'Client {client_secret}'}
    body = {'client_id': client_id, 'access_token': access_token}
    _post(base_url, '/oauth2/revoke', body, session, timeout,
        "the revocation", headers)


def token_status(base_url, access_token, *, session=None, timeout=30):
    "Return the token's ``{scopes, expires_at, merchant_id, ...}``."
    headers = {'Authorization': f'Bearer {access_token}'}
    return _post(base_url, '/oauth2/token/status', {}, session, timeout,
        "the access token", headers)


def needs_refresh(tokens, now, margin=REFRESH_MARGIN):
    "Tell whether the access token expires within ``margin`` of ``now``."
    if tokens.expires_at is None:
        return False
    return tokens.expires_at - margin <= now


def verify_webhook_signature(signature_key, notification_url, raw_body,
        signature_header):
    """Check ``x-square-hmacsha256-signature``: base64 HMAC-SHA256 of the
    notification URL followed by the raw body, in constant time."""
    if not signature_key or not signature_header:
        return False
    if isinstance(raw_body, str):
        raw_body = raw_body.encode()
    digest = hmac.new(signature_key.encode(),
        notification_url.encode() + raw_body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    return hmac.compare_digest(expected, signature_header.strip())


def parse_expires_at(value):
    if not value:
        return None
    result = dt.datetime.fromisoformat(value.replace('Z', '+00:00'))
    if result.tzinfo is None:
        result = result.replace(tzinfo=dt.timezone.utc)
    return result.astimezone(dt.timezone.utc)


def _tokens(base_url, data, scopes, session, timeout):
    if scopes is None:
        status = token_status(base_url, data['access_token'],
            session=session, timeout=timeout)
        scopes = status.get('scopes') or ()
    return Tokens(
        access_token=data['access_token'],
        refresh_token=data.get('refresh_token'),
        expires_at=parse_expires_at(data.get('expires_at')),
        merchant_id=data.get('merchant_id'),
        scopes=tuple(scopes),
        short_lived=bool(data.get('short_lived')))


def _base(base_url):
    return (base_url or DEFAULT_BASE_URL).rstrip('/')


def _post(base_url, path, body, session, timeout, subject, headers=None):
    http = session or requests
    headers = dict(headers or {}, **{'Square-Version': SQUARE_VERSION})
    try:
        response = http.post(_base(base_url) + path, json=body,
            headers=headers, timeout=timeout)
    except requests.RequestException as exception:
        raise TransientError(
            f"Square OAuth {path} failed: {type(exception).__name__}"
            ) from exception
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code in {401, 403}:
        raise AuthError(
            f"Square refused {subject}: {_detail(data)}. "
            "Connect the store again.", status=response.status_code)
    if response.status_code >= 500:
        raise TransientError(
            f"Square OAuth {path}: HTTP {response.status_code}",
            status=response.status_code)
    if response.status_code >= 400 or not isinstance(data, dict):
        raise ConnectorError(
            f"Square OAuth {path}: HTTP {response.status_code}: "
            f"{_detail(data)}", status=response.status_code)
    return data


def _detail(data):
    errors = data.get('errors') if isinstance(data, dict) else None
    if errors:
        first = errors[0]
        return f"{first.get('code')} ({first.get('detail', '')})"
    if isinstance(data, dict) and data.get('message'):
        return str(data['message'])
    return 'no detail'
