"""Error tracking with the Sentry SDK, only when a DSN is configured.

Called from the settings, so it must not import models. With no DSN the SDK is not even
imported: no integration is installed and nothing can be sent anywhere.
"""

from core.logs import current_request_id


def tag_request_id(event: dict, hint: dict) -> dict:
    """before_send: every event names the request it came from (the `X-Request-ID` the
    client saw and every log line carries)."""
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_init(
    *,
    dsn: str,
    environment: str,
    release: str | None,
    traces_sample_rate: float,
    **options,
) -> bool:
    """Start the SDK when `dsn` is set; returns whether it did. `options` go to
    sentry_sdk.init as they are (a test passes its own transport)."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        # Emails, addresses, cookies and bodies stay out of the tracker.
        send_default_pii=False,
        before_send=tag_request_id,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        **options,
    )
    return True
