"""`Idempotency-Key` support for POST endpoints that create orders or charges.

The first request with a key claims it by inserting a row (committed at once, outside any
transaction of the view), runs, and stores its answer. A retry with the same key and body
gets that answer again; the same key with another body is refused (422); a retry while
the first is still running is refused (409) and may be sent again a moment later.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from core.exceptions import BusinessValidationError, DomainError
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    # Printable: no control characters (ASCII 0-31 and 127); HTTP headers carry latin-1.
    type={"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[ -~]+$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique client-chosen key (up to 255 printable characters, e.g. a UUID). Retrying "
        "with the same key and body returns the first answer without repeating the work; "
        "the same key with another body is refused with 422 `idempotency_conflict`; a retry "
        "while the first request is still running gets 409 `idempotency_conflict`. Keys are "
        f"kept {settings.IDEMPOTENCY_KEY_TTL_HOURS} hours."
    ),
)


class IdempotencyInProgress(DomainError):
    code = "idempotency_conflict"
    default_detail = "A request with this Idempotency-Key is still being processed; retry shortly."


class IdempotencyKeyReused(DomainError):
    code = "idempotency_conflict"
    status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request body."


def key_ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def _request_hash(request) -> str:
    try:
        canonical = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    except TypeError:
        canonical = repr(request.data)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _read_key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BusinessValidationError(
            {HEADER: [f"Use 1 to {MAX_KEY_LENGTH} printable characters."]}
        )
    return key


def _claim(*, user, scope: str, key: str, request_hash: str) -> IdempotencyKey | Response:
    """Insert the key row, or return the stored answer / raise when it exists."""
    fresh_after = timezone.now() - key_ttl()
    # An expired key that the purge command has not removed yet is free again.
    IdempotencyKey.objects.filter(
        user=user, scope=scope, key=key, created_at__lt=fresh_after
    ).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user, scope=scope, key=key, request_hash=request_hash
            )
    except IntegrityError:
        pass
    existing = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
    if existing is None:  # removed between our insert and this read: the first one failed
        raise IdempotencyInProgress()
    if existing.request_hash != request_hash:
        raise IdempotencyKeyReused()
    if existing.state != IdempotencyKey.State.COMPLETED:
        raise IdempotencyInProgress()
    response = Response(existing.response_body, status=existing.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view_method):
    """Decorate a ViewSet/APIView handler (e.g. `create`) of an authenticated endpoint."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = _read_key(request)
        if key is None or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        scope = f"{request.method} {request.path}"
        claimed = _claim(
            user=request.user, scope=scope, key=key, request_hash=_request_hash(request)
        )
        if isinstance(claimed, Response):
            return claimed
        try:
            response = view_method(self, request, *args, **kwargs)
        except DomainError as exc:
            # A definitive business answer (409 insufficient stock, 400 ...) is the answer
            # to this key: store it like a success.
            response = self.handle_exception(exc)
        except Exception:
            claimed.delete()  # nothing was done: let the client retry with the same key
            raise
        if response.status_code >= 500 or response.status_code == 429:
            claimed.delete()
            return response
        claimed.state = IdempotencyKey.State.COMPLETED
        claimed.response_status = response.status_code
        claimed.response_body = json.loads(json.dumps(response.data, default=str))
        claimed.save(update_fields=["state", "response_status", "response_body", "updated_at"])
        return response

    return wrapper


def idempotency_keys_purge(*, older_than: timedelta | None = None) -> int:
    """Delete keys past their retention; returns how many were removed."""
    cutoff = timezone.now() - (older_than or key_ttl())
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
