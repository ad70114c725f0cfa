"""Login lockout after repeated wrong passwords (django-axes), for the admin and the API.

axes counts the failures of an account and of a client address (LOGIN_FAILURE_LIMIT,
LOGIN_LOCKOUT_MINUTES). The admin gets axes' own lockout page from its middleware; the API
login asks `login_allowed_or_raise` before authenticating and answers a lockout in the
error shape of every other answer (429 `throttled`, with Retry-After).
"""

import hashlib

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.utils import reset
from rest_framework.throttling import SimpleRateThrottle

from accounts.exceptions import LoginLockedOut
from accounts.models import normalize_email


def login_username(request, credentials: dict | None = None) -> str:
    """The account a login attempt is for, as axes records it: the email, normalized like
    the login itself (the API sends `email`, the admin's form `username`)."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if not value:
        data = getattr(request, "data", None) or getattr(request, "POST", None) or {}
        value = data.get("email") or data.get("username") if hasattr(data, "get") else ""
    return normalize_email(str(value or ""))


def login_allowed_or_raise(*, request, email: str) -> None:
    """Raise LoginLockedOut (429) when this account or this address is locked out."""
    if not AxesProxyHandler.is_allowed(request, {"email": email}):
        cool_off = get_cool_off(request)
        raise LoginLockedOut(retry_after=int(cool_off.total_seconds()) if cool_off else None)


def login_failures_clear(*, email: str) -> None:
    """A correct password: the account's earlier failures no longer count (the admin's
    session login does this through axes' signal; the API's token login does not log a
    session in, so it calls this)."""
    reset(username=email)


class LoginAccountThrottle(SimpleRateThrottle):
    """Login attempts per account (THROTTLE_LOGIN_ACCOUNT), whatever address they come
    from: a password guessed from many addresses is still slowed down."""

    scope = "login_account"

    def get_cache_key(self, request, view):
        email = login_username(request)
        if not email:
            return None
        digest = hashlib.sha256(email.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}
