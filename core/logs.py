"""Request ids and the two log formats (human-readable text, or one JSON object a line).

Every request gets an id: the client's `X-Request-ID` when it is well formed, a fresh one
otherwise. It lives in a context variable while the request runs, is stamped on every log
record by `RequestIdFilter`, and travels with the Celery tasks the request queues (as the
`request_id` message header), so a task's log lines carry the id of the request that
queued it.

This module is imported by the logging configuration, before the apps are ready: it must
not import models.
"""

import logging
import re
import uuid
from contextvars import ContextVar, Token
from datetime import UTC, datetime

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# Celery message header carrying the request id of the request that queued a task.
TASK_HEADER = "request_id"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_for(client_value: str | None) -> str:
    """The client's id when it is 1-128 letters, digits, `-`, `_`, `.` or `:`; otherwise a
    fresh one (an id that could carry log injection or grow without bound is never kept)."""
    if client_value and _VALID_REQUEST_ID.fullmatch(client_value):
        return client_value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str | None) -> Token:
    return _request_id.set(request_id)


def unbind_request_id(token: Token) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Stamps the current request id on every record that passes the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        if request_id is not None and getattr(record, "request_id", None) is None:
            record.request_id = request_id
        return True


class DropResponseSummaries(logging.Filter):
    """For `django.request`: our access log already has one line per answer, so Django's
    own "Not Found: /path" summaries would log every 4xx (and 5xx) a second time. Only the
    records that carry a traceback of an uncaught exception are kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        return record.exc_info is not None and (status is None or status >= 500)


def _iso_utc(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """`2026-03-10T12:00:00.000Z INFO access [3f2a...] GET /api/v1/cart/ 200 4.1ms`"""

    def __init__(self, *args, **kwargs):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            # A record outside any request (a command, a beat task) shows "-".
            defaults={"request_id": "-"},
        )

    def formatTime(self, record, datefmt=None):
        return _iso_utc(record)


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: time, level, logger, request_id, message, and the fields a
    record carries in `extra` (the access log's method, route, status, duration_ms,
    user_id); a traceback goes to `exc_info`. `request_id` is null outside a request."""

    def __init__(self, *args, **kwargs):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # Django passes the request object and its status along with its own records;
            # they are not data, and the access log says the same in plain fields.
            reserved_attrs=[*RESERVED_ATTRS, "request", "status_code", "server_time", "taskName"],
        )

    def formatTime(self, record, datefmt=None):
        return _iso_utc(record)


# --- Celery: the request id travels with the tasks a request queues -------------------


def add_request_id_to_task_headers(headers=None, **kwargs) -> None:
    """before_task_publish: put the current request id in the message headers."""
    request_id = _request_id.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def bind_task_request_id(task=None, **kwargs) -> None:
    """task_prerun: a task that came with a request id logs with it. An eager task (no
    broker) runs inside the request and already has it."""
    request = getattr(task, "request", None)
    request_id = getattr(request, TASK_HEADER, None)
    if request is None or not isinstance(request_id, str):
        return
    if not _VALID_REQUEST_ID.fullmatch(request_id):
        return
    request._request_id_token = _request_id.set(request_id)


def unbind_task_request_id(task=None, **kwargs) -> None:
    """task_postrun: the worker's next task must not inherit this one's id."""
    request = getattr(task, "request", None)
    token = getattr(request, "_request_id_token", None)
    if token is not None:
        _request_id.reset(token)
        request._request_id_token = None
