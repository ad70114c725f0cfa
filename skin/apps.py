from django.apps import AppConfig

from core.events import subscribe


class SkinConfig(AppConfig):
    name = "skin"
    verbose_name = "Skin profiles and analyses"

    def ready(self):
        # Services import models, which exist only once the app registry is ready.
        from accounts.services import USERS_CLOSING, USERS_DELETING
        from skin.services import skin_data_delete_by_users

        # A deleted account's photos go with it (the rows cascade; the files do not).
        subscribe(USERS_DELETING, skin_data_delete_by_users)
        # Closing one's own account keeps its orders, never its skin photos and profile.
        subscribe(USERS_CLOSING, skin_data_delete_by_users)
