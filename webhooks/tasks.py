"""Celery tasks of webhooks: thin wrappers over the services, which queue `deliver` after
the commit of an event; `send_due_deliveries` runs from beat for the retries and for
whatever a dead process left behind."""

import logging

from celery import shared_task

from webhooks import emails, services
from webhooks.models import Endpoint

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def deliver(delivery_id: str) -> str | None:
    """One attempt of a delivery, if it is due; its status after it."""
    delivery = services.delivery_attempt(delivery_id=delivery_id)
    return None if delivery is None else delivery.status


@shared_task
def send_due_deliveries() -> int:
    """Every delivery whose attempt is due (beat: every few seconds)."""
    return services.deliveries_send_due()


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5}, acks_late=True
)
def send_endpoint_disabled_email(endpoint_id: str) -> None:
    """Tell staff that an endpoint was disabled after its failures."""
    endpoint = Endpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        logger.warning("Webhook endpoint %s is gone; disabled email not sent", endpoint_id)
        return
    emails.send_endpoint_disabled_email(endpoint=endpoint)
