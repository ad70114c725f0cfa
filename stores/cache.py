"""The cached public store reads (the directory and the storefronts) and the hook every
write that changes what they show calls: a store's status or details, and its figures
(products on sale, rating), which the catalog and the reviews keep."""

from core.cache import scopes_bump_on_commit

STORES = "stores:public"  # the store list and every storefront


def stores_changed() -> None:
    """After commit: every cached store list and storefront is stale."""
    scopes_bump_on_commit([STORES])
