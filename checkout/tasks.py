"""Celery tasks of checkout: thin wrappers around its services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from checkout.services import order_expire_unpaid


@shared_task
def expire_unpaid_orders() -> int:
    """For Celery beat: the expire_unpaid_orders command's work; returns how many expired."""
    return order_expire_unpaid(older_than=timedelta(minutes=settings.ORDER_UNPAID_EXPIRY_MINUTES))
