"""Celery tasks of orders: thin wrappers, queued with transaction.on_commit by the services."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from orders import emails
from orders.models import Order
from orders.services import order_expire_unpaid

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


@shared_task
def expire_unpaid_orders() -> int:
    """For Celery beat: the expire_unpaid_orders command's work; returns how many expired."""
    return order_expire_unpaid(older_than=timedelta(minutes=settings.ORDER_UNPAID_EXPIRY_MINUTES))
