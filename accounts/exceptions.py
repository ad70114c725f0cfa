from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import DomainError, ErrorCode, Forbidden


class RoleChangeForbidden(Forbidden):
    """The caller is staff but the change needs a superuser (granting or revoking staff)."""

    default_detail = "Only a superuser may grant or revoke staff access."


class RefreshTokenRefused(DomainError):
    """A valid refresh token that may not be used (401): its user was deleted, deactivated
    or changed password since it was issued, or a concurrent request just rotated it."""

    code = ErrorCode.AUTHENTICATION_FAILED
    status = status.HTTP_401_UNAUTHORIZED
    messages = {
        "no_active_account": _("No active account found for the given token."),
        "password_changed": _("The user's password has been changed."),
        "blacklisted": _("Token is blacklisted"),
    }

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(str(self.messages[reason]))


class LoginLockedOut(DomainError):
    """Too many wrong passwords for this account or from this address: logins wait."""

    code = ErrorCode.THROTTLED
    status = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many failed logins; try again later."

    def __init__(self, *, retry_after: int | None = None):
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        super().__init__(headers=headers)
