from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from catalog.services import store_changed
        from core.events import subscribe
        from stores.services import STORE_CHANGED

        # A store's approval, suspension or new name changes what the catalog shows.
        subscribe(STORE_CHANGED, store_changed)
