"""Celery tasks of the cart: thin wrappers over services, for Celery beat."""

from celery import shared_task
from django.conf import settings

from cart.services import cart_purge_guest_carts


@shared_task
def purge_guest_carts() -> int:
    """The purge_guest_carts command's work; returns how many guest carts were removed."""
    return cart_purge_guest_carts(older_than_days=settings.GUEST_CART_MAX_AGE_DAYS)
