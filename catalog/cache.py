"""What the cached public catalog reads depend on, and the hooks writes call.

Every anonymous catalog read (core.cache.serve_public_read) is stored under the versions of
the scopes below; every write that changes what a read shows calls one of the hooks, which
bump those scopes after commit. Adding a cached read (the public store pages, say) is one
entry in READ_SCOPES plus a hook for the writes that change it.
"""

from collections.abc import Iterable

from core.cache import scopes_bump_on_commit

PRODUCT_LISTS = "catalog:product-lists"  # product lists, facets and suggestions
PRODUCT_DETAILS = "catalog:product-details"  # every product detail at once
TAXONOMY = "catalog:taxonomy"  # categories and brands

# Above this many products in one write, every detail is invalidated at once rather than
# one version key per product.
MAX_PRODUCT_KEYS = 100


def product_scope(product_id) -> str:
    return f"catalog:product:{product_id}"


# The cached reads: name -> the scopes every answer of it depends on (a product detail also
# depends on product_scope(its id)).
READ_SCOPES: dict[str, tuple[str, ...]] = {
    "product-list": (PRODUCT_LISTS,),
    "product-facets": (PRODUCT_LISTS,),
    "product-suggest": (PRODUCT_LISTS,),
    "product-detail": (PRODUCT_DETAILS,),
    "category": (TAXONOMY,),
    "brand": (TAXONOMY,),
}


def read_scopes(name: str, *, product_id=None) -> list[str]:
    scopes = list(READ_SCOPES[name])
    if product_id is not None:
        scopes.append(product_scope(product_id))
    return scopes


def catalog_products_changed(*, product_ids: Iterable) -> None:
    """After commit: these products' details and every product list, facet count and
    suggestion are stale (a product write, a stock change, a new price, a rating)."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return
    scopes = [PRODUCT_LISTS]
    if len(ids) > MAX_PRODUCT_KEYS:
        scopes.append(PRODUCT_DETAILS)
    else:
        scopes += [product_scope(product_id) for product_id in ids]
    scopes_bump_on_commit(scopes)


def catalog_all_products_changed() -> None:
    """After commit: every product list and detail is stale (a bulk change whose products
    are not known one by one)."""
    scopes_bump_on_commit([PRODUCT_LISTS, PRODUCT_DETAILS])


def catalog_taxonomy_changed() -> None:
    """After commit: categories and brands changed, and with them the names every product
    shows."""
    scopes_bump_on_commit([TAXONOMY, PRODUCT_LISTS, PRODUCT_DETAILS])
