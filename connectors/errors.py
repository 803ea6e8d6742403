"""Errors raised by the connectors, whatever the vendor.

The Tryton layer turns them into user errors; the sync marks the store
"Needs attention" on ``AuthError`` and retries later on ``TransientError``
and ``RateLimitError``.
"""
from dataclasses import dataclass, field


class ConnectorError(Exception):
    "Base of every connector error."

    def __init__(self, message, *, status=None):
        super().__init__(message)
        self.message = message
        self.status = status


class AuthError(ConnectorError):
    "The credentials were refused (401/403)."


class ScopeError(AuthError):
    "The OAuth token lacks a scope the call needs."

    def __init__(self, message, *, scopes=(), status=None):
        super().__init__(message, status=status)
        self.scopes = tuple(scopes)


class RateLimitError(ConnectorError):
    "Still throttled (429) after every allowed retry."

    def __init__(self, message, *, retry_after=None, status=429):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """5xx, connection error, timeout or truncated JSON once the retries
    are exhausted: trying again later may succeed."""


class NotFoundError(ConnectorError):
    "The resource does not exist (404)."


class RequestError(ConnectorError):
    "The vendor rejected the request (other 4xx): a bug or bad settings."


class ValidationError(ConnectorError):
    """A vendor payload that does not fit the canonical record.

    ``str()`` names the record and the field, e.g.
    ``order 123: field 'items[0].quantity': must not be negative``.
    """

    def __init__(self, message, *, record_id=None, field=None, kind=None):
        self.reason = message
        self.record_id = record_id
        self.field = field
        self.kind = kind
        super().__init__(self._describe())

    def _describe(self):
        parts = []
        if self.record_id is not None:
            parts.append(f"{self.kind or 'record'} {self.record_id}")
        if self.field:
            parts.append(f"field {self.field!r}")
        parts.append(self.reason)
        return ': '.join(parts)

    def locate(self, *, record_id=None, field=None, kind=None):
        "Fill in what a lower level could not know; return self."
        if self.record_id is None:
            self.record_id = record_id
        if self.kind is None:
            self.kind = kind
        if field and self.field:
            if not self.field.startswith('['):
                field += '.'
            self.field = field + self.field
        elif field:
            self.field = field
        self.message = self._describe()
        self.args = (self.message,)
        return self


@dataclass
class InvalidRecord:
    """A vendor payload that failed validation, yielded in place of a record
    by the ``iter_*`` methods called with ``errors='yield'``, so the caller
    can stage it in an error state and go on."""
    kind: str
    external_id: str | None
    raw: dict = field(repr=False)
    error: ValidationError

    @property
    def reason(self):
        return str(self.error)


def check_errors_mode(errors):
    if errors not in {'raise', 'yield'}:
        raise ValueError(f"errors must be 'raise' or 'yield', not {errors!r}")
