"""Celery tasks of orders: thin wrappers, queued with transaction.on_commit by the services."""

import logging

from celery import shared_task

from orders import emails
from orders.models import Fulfilment, Order

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5}, acks_late=True
)
def send_order_email(order_id: str, kind: str) -> None:
    """Send the `kind` email (placed, paid, shipped, cancelled) of an order."""
    order = Order.objects.filter(pk=order_id).prefetch_related("items").first()
    if order is None:
        logger.warning("Order %s is gone; %s email not sent", order_id, kind)
        return
    emails.send_order_email(order=order, kind=kind)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5}, acks_late=True
)
def send_fulfilment_email(fulfilment_id: str, kind: str) -> None:
    """Send the `kind` email of one store's part of an order: `paid` to the store, `shipped`
    and `cancelled` to the buyer."""
    fulfilment = (
        Fulfilment.objects.select_related("order", "store__owner")
        .prefetch_related("items")
        .filter(pk=fulfilment_id)
        .first()
    )
    if fulfilment is None:
        logger.warning("Fulfilment %s is gone; %s email not sent", fulfilment_id, kind)
        return
    emails.send_fulfilment_email(fulfilment=fulfilment, kind=kind)
