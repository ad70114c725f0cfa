"""Deployment checks of webhooks (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

W_PRIVATE_TARGETS = "webhooks.W001"


@register(Tags.security, deploy=True)
def private_targets_check(app_configs, **kwargs):
    """WEBHOOK_ALLOW_PRIVATE_TARGETS lets staff point an endpoint at the internal network
    (the database, the cloud metadata service): a development switch only."""
    if settings.DEBUG or not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return []
    return [
        Warning(
            "WEBHOOK_ALLOW_PRIVATE_TARGETS is on with DEBUG off: webhook endpoints may be "
            "loopback, private or link-local addresses.",
            hint="Turn it off in production; endpoints must then be public.",
            id=W_PRIVATE_TARGETS,
        )
    ]
