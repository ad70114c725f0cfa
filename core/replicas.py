"""Reads from a PostgreSQL streaming replica, when one is configured (DATABASE_REPLICA_URL).

A replica applies the primary's changes a little later (milliseconds, seconds under load),
so only reads that may be a moment stale go there: the public catalog, reviews and stores,
in a GET/HEAD/OPTIONS request whose caller has not written lately. Everything else reads the
primary: every write, every read in a request that wrote or inside a transaction (a service
reads what it is about to change), every read outside a request (Celery tasks, commands),
and every read by a caller within REPLICA_STICKY_SECONDS of their own last write, so nobody
misses what they just did. Migrations run on the primary only.

The "wrote lately" mark is a key in the shared cache (Redis), one per caller: the hash of
the credentials they send (the bearer token, the cart token), so it holds on every instance
behind the load balancer. A caller who sends neither has nothing of their own to read back.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
# The apps whose tables public reads may take from the replica.
REPLICA_READ_APPS = frozenset({"catalog", "reviews", "stores"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CALLER_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_X_CART_TOKEN")


@dataclass
class RoutingState:
    """What one request may read from the replica. Mutated in place (never replaced), so
    the router sees a write made in a thread the view runs in under ASGI."""

    replica_allowed: bool
    wrote: bool = False


_state: contextvars.ContextVar[RoutingState | None] = contextvars.ContextVar(
    "replica_routing_state", default=None
)


def replica_configured() -> bool:
    """The replica is in use: settings add its alias and this router together."""
    return "core.replicas.ReplicaRouter" in settings.DATABASE_ROUTERS and (
        REPLICA in connections.settings
    )


def caller_key(meta) -> str | None:
    """The cache key of the caller's "wrote lately" mark, or None for an anonymous caller."""
    credentials = "\n".join(meta.get(header, "") for header in _CALLER_HEADERS)
    if not credentials.strip():
        return None
    digest = hashlib.sha256(credentials.encode()).hexdigest()
    return f"replica-sticky:{digest}"


def routing_begin(*, method: str, meta) -> contextvars.Token:
    """Starts a request's routing: the replica is allowed for a safe method from a caller
    with no write in the sticky window."""
    allowed = method in SAFE_METHODS
    if allowed:
        key = caller_key(meta)
        try:
            allowed = key is None or cache.get(key) is None
        except Exception:
            # Not knowing whether they wrote lately, read the primary.
            logger.warning("cache unavailable: reading a replica sticky mark", exc_info=True)
            allowed = False
    return _state.set(RoutingState(replica_allowed=allowed))


def routing_end(token: contextvars.Token, *, meta) -> None:
    """Ends a request's routing; a request that wrote marks its caller for the window."""
    state = _state.get()
    _state.reset(token)
    if state is None or not state.wrote:
        return
    key = caller_key(meta)
    seconds = settings.REPLICA_STICKY_SECONDS
    if key is not None and seconds > 0:
        try:
            cache.set(key, 1, timeout=seconds)
        except Exception:
            # The write is committed: it must answer as such. The caller's next reads may
            # then come from a replica that has not replayed it yet.
            logger.warning("cache unavailable: marking a caller for the primary", exc_info=True)


@contextlib.contextmanager
def primary_reads() -> Iterator[None]:
    """Every read inside goes to the primary (core.cache builds an answer it will store
    right after a write with it)."""
    state = _state.get()
    if state is None or not state.replica_allowed:
        yield
        return
    state.replica_allowed = False
    try:
        yield
    finally:
        state.replica_allowed = True


class ReplicaRouter:
    """Django database router: see the module docstring for which reads go where."""

    def db_for_read(self, model, **hints):
        state = _state.get()
        if (
            state is None
            or not state.replica_allowed
            or state.wrote
            or model._meta.app_label not in REPLICA_READ_APPS
            # A read inside a transaction belongs with the writes around it.
            or connections[PRIMARY].in_atomic_block
        ):
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        state = _state.get()
        if state is not None:
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReplicaRoutingMiddleware:
    """Opens and closes each request's routing state (core.replicas); does nothing when no
    replica is configured."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        token = routing_begin(method=request.method, meta=request.META)
        try:
            return self.get_response(request)
        finally:
            routing_end(token, meta=request.META)


def replica_lag_seconds() -> float | None:
    """Seconds the replica's last replayed transaction is behind, 0 when it has replayed all
    it received (an idle primary sends nothing new), None when it is not a PostgreSQL
    standby (a test mirror). Raises the database error when it is unreachable."""
    connection = connections[REPLICA]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_is_in_recovery(),"
            " pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),"
            " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
        )
        in_recovery, caught_up, lag = cursor.fetchone()
    if not in_recovery:
        return None
    if caught_up or lag is None:
        return 0.0
    return max(float(lag), 0.0)
