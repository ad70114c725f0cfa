from django.apps import AppConfig

from core.events import subscribe


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        # Services import models, which exist only once the app registry is ready.
        from catalog.services import store_changed
        from stores.services import STORE_CHANGED

        # A store's approval, suspension or new name changes what the catalog shows.
        subscribe(STORE_CHANGED, store_changed)
