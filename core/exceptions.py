"""Domain errors and the one exception handler that gives every error the SPEC shape:

{"code": "validation_error", "detail": "Invalid input.", "errors": {"field": ["..."]}}

A `validation_error` always carries `errors`, one flat object of lists of messages: a
nested field is named by its path (`shipping_address.city`, `items.0.quantity`), and an
error of the whole input is under `non_field_errors`.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ErrorCode(models.TextChoices):
    """Every `code` an error answer can carry: the domain errors' and those the handlers
    give to what DRF and Django refuse. The schema's `Error.code` is this enum."""

    VALIDATION_ERROR = "validation_error", "The input is invalid (400)."
    NOT_AUTHENTICATED = "not_authenticated", "No credentials were sent (401)."
    AUTHENTICATION_FAILED = "authentication_failed", "The credentials are wrong or expired (401)."
    PERMISSION_DENIED = "permission_denied", "The caller may not do this (403)."
    NOT_FOUND = "not_found", "No such object, or not the caller's to see (404)."
    METHOD_NOT_ALLOWED = "method_not_allowed", "The method is not allowed here (405)."
    NOT_ACCEPTABLE = "not_acceptable", "No answer in an accepted media type (406)."
    CONFLICT = "conflict", "The request conflicts with the current state (409)."
    INSUFFICIENT_STOCK = "insufficient_stock", "Not enough stock for some lines (409)."
    INVALID_TRANSITION = "invalid_transition", "The status does not allow this change (409)."
    SLOT_UNAVAILABLE = "slot_unavailable", "The consultation slot is not free (409)."
    IDEMPOTENCY_CONFLICT = (
        "idempotency_conflict",
        "The Idempotency-Key is in use (409) or was used with another body (422).",
    )
    PAYMENT_PROVIDER_NOT_CONFIGURED = (
        "payment_provider_not_configured",
        "The payment provider has no credentials (409), or no webhook secret (503).",
    )
    REQUEST_TOO_LARGE = "request_too_large", "The request body is too large (413)."
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", "The body's content type is refused (415)."
    THROTTLED = "throttled", "Too many requests; see Retry-After (429)."
    SERVER_ERROR = "server_error", "An unexpected error (500)."
    PAYMENT_PROVIDER_ERROR = "payment_provider_error", "The payment provider failed (502)."
    PAYOUT_PROVIDER_NOT_CONFIGURED = (
        "payout_provider_not_configured",
        "The payout provider's webhook secret is not set (503).",
    )
    ERROR = "error", "An error of a status no other code names."


class DomainError(Exception):
    """A business rule said no. Services raise subclasses; the handler renders them.
    `extra` holds more fields of the answer: `errors` (field messages) or context such as
    the `lines` of an insufficient_stock answer; `headers` goes with it (a Retry-After)."""

    code: ErrorCode = ErrorCode.CONFLICT
    status: int = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."

    def __init__(
        self, detail: str | None = None, *, extra: dict | None = None, headers: dict | None = None
    ):
        self.detail = detail or self.default_detail
        self.extra = extra or {}
        self.headers = headers or {}
        super().__init__(self.detail)


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class NotFound(DomainError):
    """Gone, or never the caller's to see (another user's object answers the same)."""

    code = ErrorCode.NOT_FOUND
    status = status.HTTP_404_NOT_FOUND
    default_detail = "Not found."


class Forbidden(DomainError):
    """The caller is known but a rule forbids this action to them."""

    code = ErrorCode.PERMISSION_DENIED
    status = status.HTTP_403_FORBIDDEN
    default_detail = "You do not have permission to do this."


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    default_detail = "This status change is not allowed."


class InsufficientStock(DomainError):
    code = ErrorCode.INSUFFICIENT_STOCK
    default_detail = "Not enough stock."


class BusinessValidationError(DomainError):
    """A rule that concerns the input (a 400), raised from a service with field errors."""

    code = ErrorCode.VALIDATION_ERROR
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
_CODE_BY_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.AUTHENTICATION_FAILED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    406: ErrorCode.NOT_ACCEPTABLE,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.REQUEST_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: ErrorCode.THROTTLED,
    500: ErrorCode.SERVER_ERROR,
}
_CODE_BY_CLASS: dict[type[exceptions.APIException], ErrorCode] = {
    exceptions.NotAuthenticated: ErrorCode.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: ErrorCode.AUTHENTICATION_FAILED,
}


def code_for_status(status_code: int) -> ErrorCode:
    """The code of an error that names none itself, from its status."""
    return _CODE_BY_STATUS.get(status_code, ErrorCode.ERROR)


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


def error_body(code: ErrorCode, detail: str, errors: dict | None = None, **extra) -> dict:
    """The SPEC error shape; `extra` adds context a client can act on (e.g. the `lines`
    of an insufficient_stock answer). A validation error always gets `errors` (the detail
    under `non_field_errors` when no field is named)."""
    body: dict[str, Any] = {"code": str(code), "detail": str(detail)}
    if code == ErrorCode.VALIDATION_ERROR:
        errors = flatten_errors(errors) if errors else {NON_FIELD_ERRORS: [str(detail)]}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def _code_for(exc: exceptions.APIException, status_code: int) -> ErrorCode:
    for cls, code in _CODE_BY_CLASS.items():
        if isinstance(exc, cls):
            return code
    return code_for_status(status_code)


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
        return 413, error_body(ErrorCode.REQUEST_TOO_LARGE, "The request body is too large.")
    if isinstance(exc, TooManyFieldsSent):
        message = "Too many fields or query parameters."
    elif isinstance(exc, TooManyFilesSent):
        message = "Too many files."
    else:
        message = "The request could not be read."
    return 400, error_body(ErrorCode.VALIDATION_ERROR, message)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        headers = dict(exc.headers)
        if exc.status == status.HTTP_401_UNAUTHORIZED:
            # As DRF does for its own 401s: the challenge of the view's authentication.
            view, request = context.get("view"), context.get("request")
            challenge = getattr(view, "get_authenticate_header", None)
            header = challenge(request) if challenge is not None and request is not None else None
            if header:
                headers.setdefault("WWW-Authenticate", header)
        return Response(
            error_body(exc.code, exc.detail, **exc.extra), status=exc.status, headers=headers
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
            error_body(ErrorCode.SERVER_ERROR, "A server error occurred."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    status_code = response.status_code
    code = _code_for(exc, status_code)
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(ErrorCode.VALIDATION_ERROR, "Invalid input.", errors)
    elif isinstance(exc, exceptions.ParseError):
        detail = _flatten_detail(exc.detail)
        response.data = error_body(ErrorCode.VALIDATION_ERROR, detail, {NON_FIELD_ERRORS: [detail]})
    else:
        response.data = error_body(code, _flatten_detail(exc.detail))
    return response
