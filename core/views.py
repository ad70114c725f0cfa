import hmac
import ipaddress
import logging
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.http import JsonResponse
from django_prometheus.exports import ExportToDjangoView
from django_redis import get_redis_connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.exceptions import ErrorCode, error_body, request_error_response_data
from core.replicas import replica_configured, replica_lag_seconds

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("Health check: database unreachable", exc_info=True)
        return False
    return True


def _redis_ok() -> bool:
    # Redis itself, not the cache: the cache answers from process memory while its circuit
    # breaker keeps this process away from a failed Redis. The short socket timeouts of the
    # cache's connection pool apply.
    try:
        return bool(get_redis_connection("default").ping())
    except Exception:
        logger.warning("Health check: Redis unreachable", exc_info=True)
        return False


def _replica_health() -> tuple[str, float | None]:
    """The replica's state and lag: `ok`, `lagging` (over REPLICA_MAX_LAG_SECONDS) or
    `unavailable`. Never a reason for a 503: the primary can serve every read."""
    try:
        lag = replica_lag_seconds()
    except Exception:
        logger.warning("Health check: replica unreachable", exc_info=True)
        return "unavailable", None
    if lag is not None and lag > settings.REPLICA_MAX_LAG_SECONDS:
        return "lagging", lag
    return "ok", lag


_health_response = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded", "unavailable"]),
        "database": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "redis": serializers.ChoiceField(choices=["ok", "unavailable", "not_configured"]),
        "replica": serializers.ChoiceField(
            choices=["ok", "lagging", "unavailable"],
            required=False,
            help_text="Only when DATABASE_REPLICA_URL is set.",
        ),
        "replica_lag_seconds": serializers.FloatField(
            required=False,
            allow_null=True,
            help_text="Seconds the replica's replay is behind; null when it is no standby.",
        ),
    },
)


@extend_schema(
    summary="Health of the instance: its database, and Redis when configured",
    responses={200: _health_response, 503: _health_response},
    auth=[],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def health(request):
    """Reachability of the database and, when configured, Redis and the read replica. 503
    when the database is down; with only Redis down the service works (caches and throttles
    per process), so 200 and `degraded`; a replica that is down or lags too far is
    `degraded` too."""
    database = "ok" if _database_ok() else "unavailable"
    redis = ("ok" if _redis_ok() else "unavailable") if settings.REDIS_URL else "not_configured"
    body: dict = {"database": database, "redis": redis}
    replica = None
    if replica_configured():
        replica, lag = _replica_health()
        body.update(replica=replica, replica_lag_seconds=lag)
    if database != "ok":
        status = "unavailable"
    elif redis == "unavailable" or replica in ("lagging", "unavailable"):
        status = "degraded"
    else:
        status = "ok"
    body = {"status": status, **body}
    response = Response(body, status=503 if status == "unavailable" else 200)
    response["Cache-Control"] = "no-store"
    return response


def _json_error(status: int, code: ErrorCode, detail: str) -> JsonResponse:
    return JsonResponse(error_body(code, detail), status=status)


def bad_request(request, exception=None):
    # Django answers here for what it refuses while reading a request outside DRF (a body
    # over the limit, too many fields): each gets its own status and message.
    if isinstance(exception, SuspiciousOperation):
        status, body = request_error_response_data(exception)
        return JsonResponse(body, status=status)
    return _json_error(400, ErrorCode.VALIDATION_ERROR, "Bad request.")


def permission_denied(request, exception=None):
    return _json_error(403, ErrorCode.PERMISSION_DENIED, "You do not have permission to do this.")


def page_not_found(request, exception=None):
    return _json_error(404, ErrorCode.NOT_FOUND, "Not found.")


def server_error(request):
    return _json_error(500, ErrorCode.SERVER_ERROR, "A server error occurred.")


# --- Prometheus metrics ----------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _metrics_address_allowed(address: str) -> bool:
    networks = _networks(tuple(settings.METRICS_ALLOWED_IPS))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _metrics_token_ok(request) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(token.strip().encode(), expected.encode())
    )


def metrics(request):
    """Prometheus exposition for `Authorization: Bearer <METRICS_TOKEN>` or a caller in
    METRICS_ALLOWED_IPS (by REMOTE_ADDR: a forwarded address is never trusted here). With
    no token configured the endpoint does not exist for anyone else (404); with one, a
    missing or wrong token is 403."""
    if _metrics_address_allowed(request.META.get("REMOTE_ADDR", "")) or _metrics_token_ok(request):
        response = ExportToDjangoView(request)
        response["Cache-Control"] = "no-store"
        return response
    if not settings.METRICS_TOKEN:
        return _json_error(404, ErrorCode.NOT_FOUND, "Not found.")
    response = _json_error(403, ErrorCode.PERMISSION_DENIED, "A valid metrics token is required.")
    response["Cache-Control"] = "no-store"
    return response
