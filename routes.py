# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Square's OAuth callback and the stores' webhooks."""
import hmac
import json
import logging
from http import HTTPStatus

from werkzeug.exceptions import abort
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app

from .connectors import errors as connector_errors, oauth

logger = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


@app.route('/<database_name>/cloud_commerce/square/oauth', methods={'GET'})
@with_pool
@with_transaction(context={'_skip_warnings': True})
def square_oauth_callback(request, pool):
    "Store the tokens of the store whose OAuth state comes back"
    Shop = pool.get('web.shop')
    state = request.args.get('state')
    code = request.args.get('code')
    if not state or not code:
        abort(HTTPStatus.BAD_REQUEST)
    shops = Shop.search([
            ('type', '=', 'square'),
            ('square_oauth_state', '=', state),
            ], limit=1)
    if not shops:
        logger.warning("Square OAuth callback with an unknown state")
        abort(HTTPStatus.FORBIDDEN)
    shop, = shops
    if not hmac.compare_digest(shop.square_oauth_state, state):
        abort(HTTPStatus.FORBIDDEN)
    try:
        tokens = oauth.exchange_code(
            shop.commerce_base_url, shop.square_client_id,
            shop.square_client_secret, code,
            redirect_uri=shop.square_redirect_uri)
    except connector_errors.ConnectorError as exception:
        shop.commerce_status = 'attention'
        shop.commerce_status_reason = str(exception)[:255]
        shop.square_oauth_state = None
        shop.save()
        return Response(
            f"Square refused the connection: {exception}",
            HTTPStatus.BAD_GATEWAY, content_type='text/plain')
    shop.commerce_store_tokens(tokens)
    shop.square_oauth_state = None
    shop.commerce_status = 'online'
    shop.commerce_status_reason = None
    shop.save()
    return redirect(request.host_url.rstrip('/') + '/#' + (
            request.view_args['database_name']))


def _body(request):
    if (request.content_length or 0) > MAX_BODY:
        abort(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    data = request.get_data(cache=True)
    if len(data) > MAX_BODY:
        abort(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    return data


@app.route(
    '/<database_name>/cloud_commerce/webhook/<token>', methods={'POST'})
@with_pool
@with_transaction(context={'_skip_warnings': True})
def store_webhook(request, pool, token):
    "Verify a store's notification and queue its synchronization"
    Shop = pool.get('web.shop')
    body = _body(request)
    shops = Shop.search([
            ('commerce_webhook_token', '=', token),
            ('type', 'in', ['shipstation', 'square']),
            ], limit=1)
    if not shops:
        abort(HTTPStatus.NOT_FOUND)
    shop, = shops
    if shop.type == 'square':
        _square_notification(request, pool, shop, body)
    else:
        _shipstation_notification(request, pool, shop, body)
    return Response(status=HTTPStatus.NO_CONTENT)


def _json(body):
    try:
        payload = json.loads(body or b'{}')
    except ValueError:
        abort(HTTPStatus.BAD_REQUEST)
    if not isinstance(payload, dict):
        abort(HTTPStatus.BAD_REQUEST)
    return payload


def _square_notification(request, pool, shop, body):
    Event = pool.get('commerce.webhook.event')
    signature = request.headers.get('x-square-hmacsha256-signature')
    if not oauth.verify_webhook_signature(
            shop.square_signature_key, request.base_url, body, signature):
        logger.warning("Square webhook with a bad signature")
        abort(HTTPStatus.FORBIDDEN)
    payload = _json(body)
    event_id = payload.get('event_id')
    if not event_id:
        abort(HTTPStatus.BAD_REQUEST)
    # Square delivers some events more than once
    if Event.register(shop, str(event_id), payload.get('type')):
        shop.__class__.__queue__.commerce_sync([shop])


def _shipstation_notification(request, pool, shop, body):
    payload = _json(body)
    resource_url = payload.get('resource_url')
    if not shop.commerce_resource_url_allowed(resource_url):
        logger.warning("ShipStation webhook resource_url refused")
        abort(HTTPStatus.FORBIDDEN)
    if payload.get('resource_type') in {'ORDER_NOTIFY', 'ITEM_ORDER_NOTIFY'}:
        shop.__class__.__queue__.commerce_stage_resource(
            [shop], resource_url)
    else:
        shop.__class__.__queue__.commerce_sync([shop])
