from rest_framework import status

from core.exceptions import DomainError


class RoleChangeForbidden(DomainError):
    """The caller is staff but the change needs a superuser (granting or revoking staff)."""

    code = "permission_denied"
    status = status.HTTP_403_FORBIDDEN
    default_detail = "Only a superuser may grant or revoke staff access."
