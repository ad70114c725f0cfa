from core.exceptions import Forbidden


class RoleChangeForbidden(Forbidden):
    """The caller is staff but the change needs a superuser (granting or revoking staff)."""

    default_detail = "Only a superuser may grant or revoke staff access."
