"""The client's address, read one way everywhere (throttles, login lockouts, logs)."""

from django.conf import settings


def client_ip(request) -> str | None:
    """REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies sit in front: then the address the
    outermost trusted proxy saw, from the right of X-Forwarded-For (what a client writes
    into the header itself is to the left, and ignored). The same rule as DRF's throttles."""
    remote = request.META.get("REMOTE_ADDR")
    trusted = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not trusted or not forwarded:
        return remote
    addresses = [address.strip() for address in forwarded.split(",")]
    return addresses[-min(trusted, len(addresses))] or remote
