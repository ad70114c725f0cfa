"""`Idempotency-Key` support for POST endpoints that create orders or charges.

The first request with a key claims it: it inserts the key row `in_progress` with a lease
(`locked_until`), committed at once. It then runs the view and records the answer on the
key. A retry with the same key and body gets that answer again; the same key with another
body is refused (422); a retry while the first is still running is refused (409, with
`Retry-After`) and may be sent again a moment later.

What keeps a key from sticking and a committed write from answering 500:

- By default the view runs in one transaction together with the key's completion, and the
  key row stays locked (FOR UPDATE) while it runs: either the work and the completed key
  commit together, or neither does. A replay of a committed order therefore always finds
  its answer.
- A retry that finds the key in progress but unlocked and past its lease takes it over:
  the request that held it died (a killed worker, a dropped database connection) and its
  transaction was rolled back with it.
- When the database fails around the commit, the key is read back on a fresh connection:
  if the work did commit, the stored answer is returned instead of a 500; if not, the key
  is released for the retry (or, when even that fails, its lease runs out).
"""

import functools
import hashlib
import json
import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, Error, IntegrityError, connection, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from core.exceptions import BusinessValidationError, DomainError, ErrorCode
from core.models import IdempotencyKey

logger = logging.getLogger(__name__)

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
        "while the first request is still running gets 409 `idempotency_conflict` with "
        "`Retry-After`. Keys are kept "
        f"{settings.IDEMPOTENCY_KEY_TTL_HOURS} hours."
    ),
)


class IdempotencyInProgress(DomainError):
    code = ErrorCode.IDEMPOTENCY_CONFLICT
    default_detail = "A request with this Idempotency-Key is still being processed; retry shortly."

    def __init__(self, *, retry_after: int = 1):
        super().__init__()
        self.retry_after = max(1, retry_after)


class IdempotencyKeyReused(DomainError):
    code = ErrorCode.IDEMPOTENCY_CONFLICT
    status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request body."


class _Discard(Exception):
    """Raised inside the view's transaction to roll it back and answer `response` (a 5xx
    or a 429: not the answer to keep for this key)."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def key_ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def lease() -> timedelta:
    return timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


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


def _replay(existing: IdempotencyKey) -> Response:
    response = Response(existing.response_body, status=existing.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def _seconds_left(locked_until, now) -> int:
    return math.ceil((locked_until - now).total_seconds()) if locked_until else 1


def _claim(*, user, scope: str, key: str, request_hash: str) -> IdempotencyKey | Response:
    """Insert the key row with a lease, take over an abandoned one, or return the stored
    answer; raises IdempotencyKeyReused (another body) and IdempotencyInProgress."""
    now = timezone.now()
    # An expired key that the purge command has not removed yet is free again.
    IdempotencyKey.objects.filter(
        user=user, scope=scope, key=key, created_at__lt=now - key_ttl()
    ).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user,
                scope=scope,
                key=key,
                request_hash=request_hash,
                locked_until=now + lease(),
            )
    except IntegrityError:
        pass
    existing = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
    if existing is None:  # released between our insert and this read: the first one failed
        raise IdempotencyInProgress()
    if existing.request_hash != request_hash:
        raise IdempotencyKeyReused()
    if existing.state == IdempotencyKey.State.COMPLETED:
        return _replay(existing)
    try:
        with transaction.atomic():
            # NOWAIT: a request still running holds this row locked until it commits.
            locked = (
                IdempotencyKey.objects.select_for_update(nowait=True).filter(pk=existing.pk).first()
            )
            if locked is None:
                raise IdempotencyInProgress()
            if locked.state == IdempotencyKey.State.COMPLETED:
                return _replay(locked)
            if locked.locked_until is not None and locked.locked_until > now:
                raise IdempotencyInProgress(retry_after=_seconds_left(locked.locked_until, now))
            logger.warning("Idempotency-Key %s (%s): lease expired, taken over", key, scope)
            locked.locked_until = now + lease()
            locked.save(update_fields=["locked_until", "updated_at"])
            return locked
    except DatabaseError:  # the row is locked: its request is running
        raise IdempotencyInProgress(retry_after=_seconds_left(existing.locked_until, now)) from None


def _hold(claimed: IdempotencyKey) -> None:
    """Lock the claimed row for the view's transaction; raises IdempotencyInProgress when
    another request took it over meanwhile (our lease ran out before we got here)."""
    locked = IdempotencyKey.objects.select_for_update().filter(pk=claimed.pk).first()
    if (
        locked is None
        or locked.state != IdempotencyKey.State.IN_PROGRESS
        or locked.locked_until != claimed.locked_until
    ):
        raise IdempotencyInProgress()


def _complete(claimed: IdempotencyKey, response) -> None:
    # An UPDATE, not claimed.save(): if it fails, `claimed` still names the lease to release.
    IdempotencyKey.objects.filter(pk=claimed.pk).update(
        state=IdempotencyKey.State.COMPLETED,
        response_status=response.status_code,
        response_body=json.loads(json.dumps(response.data, default=str)),
        locked_until=None,
        updated_at=timezone.now(),
    )


def _is_kept(response) -> bool:
    """A definitive answer is kept for the key; a 5xx or 429 invites the same retry."""
    return response.status_code < 500 and response.status_code != 429


def _run_in_transaction(view, view_method, claimed, request, args, kwargs):
    with transaction.atomic():
        _hold(claimed)
        try:
            # Its own savepoint: a refusal rolls back whatever the view wrote before it.
            with transaction.atomic():
                response = view_method(view, request, *args, **kwargs)
        except DomainError as exc:
            # A definitive business answer (409 insufficient stock, 400 ...) is the answer
            # to this key: store it like a success.
            response = view.handle_exception(exc)
        if not _is_kept(response):
            raise _Discard(response)
        _complete(claimed, response)
    return response


def _run_then_complete(view, view_method, claimed, request, args, kwargs):
    try:
        response = view_method(view, request, *args, **kwargs)
    except DomainError as exc:
        response = view.handle_exception(exc)
    if not _is_kept(response):
        raise _Discard(response)
    try:
        _complete(claimed, response)
    except Error:
        # The work committed: answer it. The key keeps its lease; a retry after it runs the
        # view again, which such a view must make harmless by its own rule.
        logger.warning("Idempotency-Key %s: answer not recorded", claimed.key, exc_info=True)
    return response


def _usable_connection() -> bool:
    """Drop a connection the failure broke, so the next query reconnects. Inside an outer
    transaction (a test's) that cannot be done: usable unless that one must roll back."""
    if connection.in_atomic_block:
        return not connection.needs_rollback
    connection.close_if_unusable_or_obsolete()
    return True


def _stored_answer(claimed: IdempotencyKey) -> Response | None:
    """The answer recorded for the key if its work committed after all (the connection
    died around the commit), else None."""
    try:
        stored = IdempotencyKey.objects.filter(
            pk=claimed.pk, state=IdempotencyKey.State.COMPLETED
        ).first()
    except Error:
        logger.warning("Idempotency-Key %s: cannot read it back", claimed.key, exc_info=True)
        return None
    return _replay(stored) if stored is not None else None


def _release(claimed: IdempotencyKey) -> None:
    """Free the key for a retry: nothing was kept. If even this fails, the lease runs out."""
    try:
        IdempotencyKey.objects.filter(
            pk=claimed.pk,
            state=IdempotencyKey.State.IN_PROGRESS,
            locked_until=claimed.locked_until,
        ).delete()
    except Error:
        logger.warning(
            "Idempotency-Key %s: not released; free again after its lease",
            claimed.key,
            exc_info=True,
        )


def idempotent(view_method=None, *, atomic: bool = True):
    """Decorate a ViewSet/APIView handler (e.g. `create`) of an authenticated endpoint.

    `atomic=True` (the default) runs the view in one transaction with the key's completion.
    `atomic=False` is for a view that must commit before it calls out (a payment provider):
    the key is completed right after the view, and the view must be safe to run again for
    the same body, because a retry after the lease re-runs it if that completion was lost.
    """
    if view_method is None:
        return functools.partial(idempotent, atomic=atomic)
    run = _run_in_transaction if atomic else _run_then_complete

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = _read_key(request)
        if key is None or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        scope = f"{request.method} {request.path}"
        try:
            claimed = _claim(
                user=request.user, scope=scope, key=key, request_hash=_request_hash(request)
            )
        except IdempotencyInProgress as exc:
            response = self.handle_exception(exc)
            response["Retry-After"] = str(exc.retry_after)
            return response
        if isinstance(claimed, Response):
            return claimed
        try:
            return run(self, view_method, claimed, request, args, kwargs)
        except _Discard as discarded:
            _release(claimed)
            return discarded.response
        except Exception:
            if _usable_connection():
                stored = _stored_answer(claimed)
                if stored is not None:
                    return stored
                _release(claimed)
            raise

    return wrapper


def idempotency_keys_purge(*, older_than: timedelta | None = None) -> int:
    """Delete keys past their retention; returns how many were removed."""
    cutoff = timezone.now() - (older_than or key_ttl())
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
