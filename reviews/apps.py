from django.apps import AppConfig

from core.events import subscribe


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self):
        # Services import models, which exist only once the app registry is ready.
        from accounts.services import USERS_DELETING
        from reviews.services import reviews_delete_by_users

        # A deleted user's reviews go before the user, and the ratings they counted in
        # are recomputed in the same transaction.
        subscribe(USERS_DELETING, reviews_delete_by_users)
