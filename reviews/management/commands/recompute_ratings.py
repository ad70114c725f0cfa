from django.core.management.base import BaseCommand

from reviews.services import product_ratings_recompute_all


class Command(BaseCommand):
    help = (
        "Recompute every product's average_rating and review_count from its approved "
        "reviews. A repair tool: the review services keep them right as they go."
    )

    def handle(self, *args, **options):
        refreshed = product_ratings_recompute_all()
        self.stdout.write(f"Recomputed the ratings of {refreshed} product(s).")
