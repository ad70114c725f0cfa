"""Celery tasks of the catalog: thin wrappers over the services."""

from celery import shared_task

# The module, not its names: the services enqueue reindex_products_task, so each module
# refers to the other only at call time.
from catalog import services
from catalog.models import Product


@shared_task
def refresh_product_prices(all_products: bool = False) -> int:
    """For Celery beat: every minute the discount windows that just opened or closed,
    nightly every product (a repair after any missed run); returns how many stored prices
    changed."""
    return services.product_prices_refresh(all_products=all_products)


@shared_task
def reindex_products_task(
    *, brand_id: str | None = None, category_id: str | None = None, store_id: str | None = None
) -> int:
    """After a brand, category or store rename: rewrite the search documents of its
    products in batches; returns how many."""
    products = Product.objects.all()
    if store_id is not None:
        products = products.filter(store_id=store_id)
    if brand_id is not None:
        products = products.filter(brand_id=brand_id)
    if category_id is not None:
        products = products.filter(category_id=category_id)
    return services.product_search_reindex(products=products)
