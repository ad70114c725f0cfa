"""Celery tasks of stores: thin wrappers, queued after commit by the services."""

import logging

from celery import shared_task

from stores import emails
from stores.models import Store

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5}, acks_late=True
)
def send_store_email_task(store_id: str, kind: str) -> None:
    """Send the `kind` email (received, approved, rejected, suspended, reinstated)."""
    store = Store.objects.select_related("owner").filter(pk=store_id).first()
    if store is None:
        logger.warning("Store %s is gone; %s email not sent", store_id, kind)
        return
    emails.send_store_email(store=store, kind=kind)
