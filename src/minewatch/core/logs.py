"""Structured logs: one JSON object per line (``MINEWATCH_LOG_FORMAT=json``).

Every line carries the time (UTC, ISO 8601), level, logger and message, and when it
was written while serving a request, that request's id (``X-Request-ID``), the user
and the organisation — so a log shipper (Loki, Elasticsearch, journald) can follow one
request or one user across lines. :class:`RequestContextMiddleware` (via
``core.middleware.RequestIdMiddleware``) puts the request in a context variable; the
formatter reads it without ever touching the database.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
from typing import Any

from django.utils.functional import empty

_current_request: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "minewatch_request", default=None
)

# LogRecord attributes that are not "extra" fields passed by the caller.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


def set_current_request(request: Any) -> contextvars.Token:
    return _current_request.set(request)


def reset_current_request(token: contextvars.Token) -> None:
    _current_request.reset(token)


def _resolved_user(request: Any) -> Any:
    """The request's user if authentication already ran (never triggers a query)."""
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)  # SimpleLazyObject before first use
    if wrapped is empty or wrapped is None:
        return None
    return wrapped


def request_context() -> dict[str, Any]:
    """request_id, user and org of the request being served in this context, if any."""
    request = _current_request.get()
    if request is None:
        return {}
    context: dict[str, Any] = {"request_id": getattr(request, "request_id", None)}
    user = _resolved_user(request)
    if user is not None and getattr(user, "is_authenticated", False):
        context["user"] = user.get_username()
        context["org"] = getattr(user, "organisation_id", None)
    return context


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message, request context,
    the caller's ``extra`` fields and the traceback (``exc_info``) if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(request_context())
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
