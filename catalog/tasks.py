"""Celery tasks of the catalog: thin wrappers over the services, for Celery beat."""

from celery import shared_task

from catalog.services import product_prices_refresh


@shared_task
def refresh_product_prices(all_products: bool = False) -> int:
    """For Celery beat: every minute the discount windows that just opened or closed,
    nightly every product (a repair after any missed run); returns how many stored prices
    changed."""
    return product_prices_refresh(all_products=all_products)
