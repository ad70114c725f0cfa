"""Domain errors and the one exception handler that gives every error the SPEC shape:

{"code": "validation_error", "detail": "Invalid input.", "errors": {"field": ["..."]}}

A `validation_error` always carries `errors`, one flat object of lists of messages: a
nested field is named by its path (`shipping_address.city`, `items.0.quantity`), and an
error of the whole input is under `non_field_errors`.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule said no. Services raise subclasses; the handler renders them.
    `extra` holds more fields of the answer: `errors` (field messages) or context such as
    the `lines` of an insufficient_stock answer; `headers` goes with it (a Retry-After)."""

    code = "conflict"
    status = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."

    def __init__(
        self, detail: str | None = None, *, extra: dict | None = None, headers: dict | None = None
    ):
        self.detail = detail or self.default_detail
        self.extra = extra or {}
        self.headers = headers or {}
        super().__init__(self.detail)


class Conflict(DomainError):
    code = "conflict"


class NotFound(DomainError):
    """Gone, or never the caller's to see (another user's object answers the same)."""

    code = "not_found"
    status = status.HTTP_404_NOT_FOUND
    default_detail = "Not found."


class Forbidden(DomainError):
    """The caller is known but a rule forbids this action to them."""

    code = "permission_denied"
    status = status.HTTP_403_FORBIDDEN
    default_detail = "You do not have permission to do this."


class InvalidTransition(DomainError):
    code = "invalid_transition"
    default_detail = "This status change is not allowed."


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    default_detail = "Not enough stock."


class BusinessValidationError(DomainError):
    """A rule that concerns the input (a 400), raised from a service with field errors."""

    code = "validation_error"
    status = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid input."

    def __init__(self, errors: dict | str, detail: str | None = None):
        if isinstance(errors, str):
            detail, errors = detail or errors, {}
        super().__init__(detail, extra={"errors": errors} if errors else {})


def error_message(exc: DomainError) -> str:
    """A one-line message for people (the admin's): the detail, or the field messages of a
    validation error, whose detail alone ("Invalid input.") says nothing."""
    errors = exc.extra.get("errors") or {}
    messages = [str(message) for values in errors.values() for message in values]
    return " ".join(messages) if messages else str(exc.detail)


class WebhookVerificationError(BusinessValidationError):
    """A webhook whose signature, timestamp or body cannot be trusted (400)."""


# Status -> code for exceptions that do not name one of the SPEC codes themselves.
_CODE_BY_STATUS = {
    400: "validation_error",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
}
_CODE_BY_CLASS = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
}


NON_FIELD_ERRORS = "non_field_errors"


def flatten_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """`{field: [message]}` from DRF's nested error detail: a nested serializer's errors
    are named by their dotted path (`shipping_address.city`), a list's by the item's index
    (`items.0.quantity`); messages that are not under a field go to `non_field_errors`."""
    flat: dict[str, list[str]] = {}

    def add(path: str, message) -> None:
        flat.setdefault(path or NON_FIELD_ERRORS, []).append(str(message))

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                key = str(key)
                walk(value, path if key == NON_FIELD_ERRORS else f"{path}.{key}".lstrip("."))
        elif isinstance(node, list | tuple):
            if all(not isinstance(item, dict | list | tuple) for item in node):
                for message in node:
                    add(path, message)
                return
            for index, item in enumerate(node):
                # A list of per-item errors (many=True): empty entries are valid items.
                if isinstance(item, dict | list | tuple):
                    walk(item, f"{path}.{index}".lstrip("."))
                else:
                    add(path, item)
        else:
            add(path, node)

    walk(errors, prefix)
    return flat


def error_body(code: str, detail: str, errors: dict | None = None, **extra) -> dict:
    """The SPEC error shape; `extra` adds context a client can act on (e.g. the `lines`
    of an insufficient_stock answer). A validation error always gets `errors` (the detail
    under `non_field_errors` when no field is named)."""
    body = {"code": code, "detail": str(detail)}
    if code == "validation_error":
        errors = flatten_errors(errors) if errors else {NON_FIELD_ERRORS: [str(detail)]}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def _code_for(exc: exceptions.APIException, status_code: int) -> str:
    for cls, code in _CODE_BY_CLASS.items():
        if isinstance(exc, cls):
            return code
    return _CODE_BY_STATUS.get(status_code, "error")


def _flatten_detail(detail) -> str:
    if isinstance(detail, list | tuple) and detail:
        return _flatten_detail(detail[0])
    if isinstance(detail, dict) and detail:
        return _flatten_detail(next(iter(detail.values())))
    return str(detail)


def request_error_response_data(exc: SuspiciousOperation) -> tuple[int, dict]:
    """Status and body for what Django raises while reading a request it refuses: a body
    over DATA_UPLOAD_MAX_MEMORY_SIZE (413), too many fields, query parameters or files, a
    broken multipart body (400)."""
    if isinstance(exc, RequestDataTooBig):
        return 413, error_body("request_too_large", "The request body is too large.")
    if isinstance(exc, TooManyFieldsSent):
        message = "Too many fields or query parameters."
    elif isinstance(exc, TooManyFilesSent):
        message = "Too many files."
    else:
        message = "The request could not be read."
    return 400, error_body("validation_error", message)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.detail, **exc.extra), status=exc.status, headers=exc.headers
        )
    if isinstance(exc, SuspiciousOperation):
        status_code, body = request_error_response_data(exc)
        return Response(body, status=status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        # Unexpected: log it with the traceback and answer in the same shape.
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        return Response(
            error_body("server_error", "A server error occurred."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    status_code = response.status_code
    code = _code_for(exc, status_code)
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("validation_error", "Invalid input.", errors)
    elif isinstance(exc, exceptions.ParseError):
        detail = _flatten_detail(exc.detail)
        response.data = error_body("validation_error", detail, {NON_FIELD_ERRORS: [detail]})
    else:
        response.data = error_body(code, _flatten_detail(exc.detail))
    return response
