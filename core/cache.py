"""Cached public reads with precise invalidation across processes.

A cached answer is stored under a key that includes the current *version* of every scope it
depends on (e.g. "every product list", "product 42"). A write does not look for the answers
it makes stale: after its transaction commits it gives each scope it changed a new random
version, and every answer built on the old one is simply never asked for again (the cache
evicts it in time). Versions live in the same cache as the answers (Redis when REDIS_URL is
set, so all workers agree; local memory otherwise, per process).

A cache failure never fails a read: it is logged and the answer comes from the database.
While the Redis cache is degraded (this process answers from its own memory, see
core/cache_backends.py), other processes do not see this one's new versions: answers are
kept only REDIS_RETRY_AFTER_SECONDS, and the scopes bumped meanwhile are bumped again in
Redis once it is back, so that its answers from before the outage are not served again.
"""

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags

from core.replicas import primary_reads

logger = logging.getLogger(__name__)

_VERSION_PREFIX = "v1:scope:"
_ENTRY_PREFIX = "v1:answer:"
_VALUE_PREFIX = "v1:value:"
# Headers of the built answer a cached copy repeats (the rest are set again on the way out).
_KEPT_HEADERS = ("Vary", "Allow")
# Requests that identify the caller are never answered from, nor stored in, the shared cache
# (what a seller or staff member sees differs; a cart token is private).
PRIVATE_REQUEST_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_X_CART_TOKEN")


# Scopes bumped while the cache was degraded, not yet bumped in Redis (this process only).
_unsent_bumps: set[str] = set()
_unsent_lock = threading.Lock()


def _new_version() -> str:
    # Random, not a counter: a version key the cache evicted comes back as a value no old
    # answer was ever stored under. The time it was made follows the "@": see _recent().
    return f"{secrets.token_hex(8)}@{time.time():.3f}"


def _recent(versions: list[str]) -> bool:
    """Whether a scope was bumped within REPLICA_STICKY_SECONDS: a read replica may not
    have replayed that write yet, and an answer built from it would be stored under the new
    version, stale for as long as it is cached. Such answers are built from the primary."""
    window = settings.REPLICA_STICKY_SECONDS
    now = time.time()
    for version in versions:
        _, _, made = version.partition("@")
        try:
            if now - float(made) < window:
                return True
        except ValueError:
            continue
    return False


def _degraded() -> bool:
    return getattr(cache, "degraded", False)


def _kept_seconds(seconds: int) -> int:
    """How long to keep something meant for `seconds`: while degraded, only this process
    sees it (see the module docstring), so no longer than the outage is retried."""
    if _degraded():
        return max(1, min(seconds, int(settings.REDIS_RETRY_AFTER_SECONDS)))
    return seconds


def _built(versions: list[str] | None, build: Callable[[], Any]) -> Any:
    """build(), on the primary when a scope was just bumped: a replica may not have the
    write that made these versions yet, and what is built is kept under them."""
    if versions is not None and _recent(versions):
        with primary_reads():
            return build()
    return build()


def _send_unsent_bumps() -> bool:
    """Bump in Redis the scopes bumped during an outage, once Redis answers again. True
    when it did."""
    if not _unsent_bumps or _degraded():
        return False
    with _unsent_lock:
        scopes = set(_unsent_bumps)
        _unsent_bumps.difference_update(scopes)
    cache.set_many({_VERSION_PREFIX + scope: _new_version() for scope in scopes}, timeout=None)
    if _degraded():
        with _unsent_lock:
            _unsent_bumps.update(scopes)
        return False
    return True


def scope_versions(scopes: Iterable[str]) -> list[str] | None:
    """The current version of each scope (creating those not set yet), or None when the
    cache cannot be reached."""
    keys = [_VERSION_PREFIX + scope for scope in scopes]
    try:
        _send_unsent_bumps()
        found = cache.get_many(keys)
        if _send_unsent_bumps():
            # Redis came back with that very read, whose versions predate the outage's writes.
            found = cache.get_many(keys)
        missing = {key: _new_version() for key in keys if key not in found}
        for key, version in missing.items():
            # add(): two processes creating the same version at once agree on one of them.
            if not cache.add(key, version, timeout=None):
                version = cache.get(key) or version
            found[key] = version
        return [found[key] for key in keys]
    except Exception:
        logger.warning("cache unavailable: reading versions", exc_info=True)
        return None


def scopes_bump(scopes: Iterable[str]) -> None:
    """Give each scope a new version now (outside a transaction: use scopes_bump_on_commit
    from services). Never raises."""
    scopes = list(scopes)
    if not scopes:
        return
    try:
        _send_unsent_bumps()
        cache.set_many({_VERSION_PREFIX + scope: _new_version() for scope in scopes}, timeout=None)
    except Exception:
        # The answers of these scopes stay until their timeout (CATALOG_CACHE_SECONDS).
        logger.error("cache unavailable: could not invalidate %s", scopes, exc_info=True)
        return
    if _degraded():
        # Only this process's memory has the new versions.
        with _unsent_lock:
            _unsent_bumps.update(scopes)


def scopes_bump_on_commit(scopes: Iterable[str]) -> None:
    """Bump the scopes once the current transaction commits (at once outside one), so no
    reader can cache what the transaction had not committed yet under the new versions."""
    scopes = list(scopes)
    transaction.on_commit(lambda: scopes_bump(scopes), robust=True)


def cached_value(scopes: Iterable[str], parts: tuple, compute: Callable[[], Any], *, timeout: int):
    """compute(), kept under the current versions of `scopes` and the hashable `parts`
    that identify it (for a count: its SQL and parameters), so a write that bumps one of
    the scopes makes it be computed again. Anyone may read it (nothing private goes into
    `parts` but what already tells callers apart). compute() is called directly when
    `timeout` is 0 or the cache cannot be reached; None is never stored."""
    if timeout <= 0:
        return compute()
    versions = scope_versions(scopes)
    if versions is None:
        return compute()
    digest = hashlib.blake2b(repr((parts, versions)).encode(), digest_size=20).hexdigest()
    key = _VALUE_PREFIX + digest
    try:
        found = cache.get(key)
    except Exception:
        logger.warning("cache unavailable: reading a value", exc_info=True)
        return compute()
    if found is not None:
        return found
    value = _built(versions, compute)
    if value is not None:
        try:
            cache.set(key, value, timeout=_kept_seconds(timeout))
        except Exception:
            logger.warning("cache unavailable: storing a value", exc_info=True)
    return value


def _entry_key(name: str, request, versions: list[str]) -> str:
    query = sorted(request.GET.lists())
    digest = hashlib.blake2b(
        repr((name, request.path, query, versions)).encode(), digest_size=20
    ).hexdigest()
    return _ENTRY_PREFIX + digest


def etag_for(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def is_public_request(request) -> bool:
    return request.method in ("GET", "HEAD") and not any(
        request.META.get(header) for header in PRIVATE_REQUEST_HEADERS
    )


def _not_modified(request, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in tags


def _finish(request, response: HttpResponse, etag: str, public: bool) -> HttpResponse:
    if _not_modified(request, etag):
        response = HttpResponse(status=304)
    response["ETag"] = etag
    if public:
        patch_cache_control(response, public=True, max_age=settings.CATALOG_CACHE_MAX_AGE)
    return response


def serve_public_read(
    request, *, name: str, scopes: list[str], build: Callable[[], HttpResponse]
) -> HttpResponse:
    """Answer a read from the cache when the request is anonymous and the cache holds an
    answer for the current versions of `scopes`; otherwise call `build()` (which renders
    the answer), store a 200 answer and give it an ETag. `If-None-Match` with the current
    ETag answers 304; a cached answer's ETag is checked before anything is rendered."""
    public = is_public_request(request)
    enabled = public and settings.CATALOG_CACHE_SECONDS > 0
    versions = scope_versions(scopes) if enabled else None
    key = _entry_key(name, request, versions) if versions is not None else None
    if key is not None:
        try:
            entry = cache.get(key)
        except Exception:
            logger.warning("cache unavailable: reading an answer", exc_info=True)
            entry, key = None, None
        if entry is not None:
            etag, content_type, headers, body = entry
            if _not_modified(request, etag):
                return _finish(request, HttpResponse(status=304), etag, public)
            response = HttpResponse(body, content_type=content_type, headers=headers)
            return _finish(request, response, etag, public)

    response = _built(versions, build)
    if response.status_code != 200:
        return response
    if hasattr(response, "render"):
        response = response.render()
    body = response.content
    etag = etag_for(body)
    if key is not None:
        try:
            headers = {name: response[name] for name in _KEPT_HEADERS if name in response}
            stored = (etag, response["Content-Type"], headers, body)
            cache.set(key, stored, timeout=_kept_seconds(settings.CATALOG_CACHE_SECONDS))
        except Exception:
            logger.warning("cache unavailable: storing an answer", exc_info=True)
    return _finish(request, response, etag, public)
