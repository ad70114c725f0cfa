import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.http import JsonResponse
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

from core.exceptions import error_body, request_error_response_data

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


def _cache_ok() -> bool:
    try:
        cache.set("health:ping", "pong", 5)
        return cache.get("health:ping") == "pong"
    except Exception:
        logger.warning("Health check: cache unreachable", exc_info=True)
        return False


_health_response = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "database": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "redis": serializers.ChoiceField(choices=["ok", "unavailable", "not_configured"]),
    },
)


@extend_schema(responses={200: _health_response, 503: _health_response}, auth=[])
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def health(request):
    """Reachability of the database and, when configured, Redis. 503 when one is down."""
    database = "ok" if _database_ok() else "unavailable"
    redis = ("ok" if _cache_ok() else "unavailable") if settings.REDIS_URL else "not_configured"
    healthy = database == "ok" and redis != "unavailable"
    body = {"status": "ok" if healthy else "unavailable", "database": database, "redis": redis}
    response = Response(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


def _json_error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(code, detail), status=status)


def bad_request(request, exception=None):
    # Django answers here for what it refuses while reading a request outside DRF (a body
    # over the limit, too many fields): each gets its own status and message.
    if isinstance(exception, SuspiciousOperation):
        status, body = request_error_response_data(exception)
        return JsonResponse(body, status=status)
    return _json_error(400, "validation_error", "Bad request.")


def permission_denied(request, exception=None):
    return _json_error(403, "permission_denied", "You do not have permission to do this.")


def page_not_found(request, exception=None):
    return _json_error(404, "not_found", "Not found.")


def server_error(request):
    return _json_error(500, "server_error", "A server error occurred.")
