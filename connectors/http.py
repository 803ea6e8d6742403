"""A small, vendor-neutral JSON client around one ``requests.Session``.

It retries what is safe to retry (5xx, connection errors, timeouts and
truncated JSON on idempotent requests) with capped exponential backoff and
jitter, and leaves pacing to the vendor client through a ``RateLimiter``
(``before_request`` / ``after_response`` / ``retry_after``).  ``sleep`` and
``clock`` are injected so tests never really wait.  It never logs headers,
query secrets or bodies.
"""
import json
import logging
import random
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urljoin, urlsplit

import requests

from .errors import (
    AuthError,
    NotFoundError,
    RateLimitError,
    RequestError,
    TransientError,
)

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'})


class TruncatedJSON(ValueError):
    "The body was not complete JSON (cut connection, proxy error page)."


@dataclass
class JsonResponse:
    status: int
    headers: object  # case-insensitive mapping
    data: object
    url: str


class RateLimiter:
    """Pacing hooks; the default only honours ``Retry-After`` on 429."""

    def before_request(self):
        "Wait, if needed, before sending a request."

    def after_response(self, response):
        "Learn from a response (any status)."

    def after_failure(self):
        "A request went out but no response came back (timeout, reset)."

    def retry_after(self, response):
        "Seconds to wait after a 429, or None to use the backoff."
        value = response.headers.get('Retry-After')
        try:
            return max(float(value), 0.0)
        except (TypeError, ValueError):
            return None


class Backoff:
    "Capped exponential delays with equal jitter."

    def __init__(self, base=0.5, cap=30.0, rng=None):
        self.base = base
        self.cap = cap
        self.rng = rng or random.Random()

    def delay(self, attempt):
        ceiling = min(self.cap, self.base * 2 ** attempt)
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def parse_json(content):
    "Parse a body with Decimal for every non-integer number."
    if not content or not content.strip():
        return None
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError as exception:
        raise TruncatedJSON(str(exception)) from exception


def error_for(response):
    "Map a non-2xx JsonResponse to a ConnectorError (None when 2xx)."
    status = response.status
    if 200 <= status < 300:
        return None
    message = f"HTTP {status} from {_safe_url(response.url)}: " + (
        _summary(response.data))
    if status in {401, 403}:
        return AuthError(message, status=status)
    if status == 404:
        return NotFoundError(message, status=status)
    if status == 429:
        return RateLimitError(message, status=status)
    if status >= 500:
        return TransientError(message, status=status)
    return RequestError(message, status=status)


def _summary(data):
    "One line of at most 500 characters: an error page's text, not its tags"
    if isinstance(data, dict):
        for key in ('message', 'Message', 'ExceptionMessage', 'errors'):
            if data.get(key):
                data = data[key]
                break
    if data is None:
        return 'no body'
    text = re.sub(r'<[^>]*>', ' ', str(data))
    return ' '.join(text.split())[:500]


def _safe_url(url):
    "The URL without its query string (which may hold ids or tokens)."
    parts = urlsplit(url)
    return f'{parts.scheme}://{parts.netloc}{parts.path}'


class JsonHttp:
    """JSON over HTTP with retries; one instance per store and credentials.

    ``error_mapper(response)`` lets a vendor refine the error (e.g. Square's
    INSUFFICIENT_SCOPES into ``ScopeError``); it returns None to use
    ``error_for``.
    """

    def __init__(
            self, base_url, *, auth=None, headers=None, timeout=30,
            max_retries=5, max_rate_limit_retries=10, backoff=None,
            rate_limiter=None, error_mapper=None,
            sleep=time.sleep, clock=time.monotonic, session=None):
        self.base_url = base_url.rstrip('/') + '/'
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_rate_limit_retries = max_rate_limit_retries
        self.backoff = backoff or Backoff()
        self.rate_limiter = rate_limiter or RateLimiter()
        self.error_mapper = error_mapper
        self.sleep = sleep
        self.clock = clock
        self.session = session or requests.Session()
        self.session.auth = auth
        self.session.headers.update({'Accept': 'application/json'})
        self.session.headers.update(headers or {})
        self.calls = 0  # requests sent, retries included

    def __repr__(self):
        # Never show auth or headers.
        return f'<JsonHttp {self.base_url}>'

    def url(self, path_or_url):
        return urljoin(self.base_url, path_or_url.lstrip('/')) if (
            '://' not in path_or_url) else path_or_url

    def get(self, path, params=None, **kwargs):
        return self.request('GET', path, params=params, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request('POST', path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request('DELETE', path, **kwargs)

    def request(
            self, method, path, *, params=None, json=None,
            idempotent=None, headers=None):
        """Send the request and return the JsonResponse of a 2xx.

        A POST is retried on 5xx and network errors only when
        ``idempotent`` is true (searches, or creates with an idempotency
        key); a 429 is always retried because nothing was done.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = self.url(path)
        failures = throttles = 0
        while True:
            self.rate_limiter.before_request()
            try:
                response = self._send(method, url, params, json, headers)
            except (requests.ConnectionError, requests.Timeout,
                    TruncatedJSON) as exception:
                if isinstance(exception, TruncatedJSON):
                    reason = 'truncated JSON'
                else:
                    self.rate_limiter.after_failure()
                    reason = type(exception).__name__
                failures += 1
                if not idempotent or failures > self.max_retries:
                    raise TransientError(
                        f"{method} {_safe_url(url)} failed: {reason}"
                        ) from exception
                self._wait(self.backoff.delay(failures - 1), reason)
                continue
            if response.status == 429:
                throttles += 1
                delay = self.rate_limiter.retry_after(response)
                if throttles > self.max_rate_limit_retries:
                    error = error_for(response)
                    error.retry_after = delay
                    raise error
                if delay is None:
                    delay = self.backoff.delay(throttles - 1)
                self._wait(delay, 'HTTP 429')
                continue
            if response.status >= 500 and idempotent:
                failures += 1
                if failures <= self.max_retries:
                    self._wait(
                        self.backoff.delay(failures - 1),
                        f'HTTP {response.status}')
                    continue
            error = self._error(response)
            if error:
                raise error
            return response

    def _send(self, method, url, params, json_body, headers):
        self.calls += 1
        started = self.clock()
        raw = self.session.request(
            method, url, params=params, json=json_body, headers=headers,
            timeout=self.timeout)
        try:
            data = parse_json(raw.content)
        except TruncatedJSON:
            # Learn the pacing even from a cut body.
            self.rate_limiter.after_response(
                JsonResponse(raw.status_code, raw.headers, None, raw.url))
            if 200 <= raw.status_code < 300:
                raise
            data = raw.text[:500]
        response = JsonResponse(raw.status_code, raw.headers, data, raw.url)
        self.rate_limiter.after_response(response)
        logger.debug(
            "%s %s -> %s in %.3fs", method, _safe_url(raw.url),
            raw.status_code, self.clock() - started)
        return response

    def _error(self, response):
        error = None
        if self.error_mapper:
            error = self.error_mapper(response)
        return error or error_for(response)

    def _wait(self, seconds, reason):
        logger.info("retrying in %.2fs after %s", seconds, reason)
        if seconds > 0:
            self.sleep(seconds)
