from rest_framework import status

from core.exceptions import DomainError, ErrorCode, Forbidden


class RoleChangeForbidden(Forbidden):
    """The caller is staff but the change needs a superuser (granting or revoking staff)."""

    default_detail = "Only a superuser may grant or revoke staff access."


class LoginLockedOut(DomainError):
    """Too many wrong passwords for this account or from this address: logins wait."""

    code = ErrorCode.THROTTLED
    status = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many failed logins; try again later."

    def __init__(self, *, retry_after: int | None = None):
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        super().__init__(headers=headers)
