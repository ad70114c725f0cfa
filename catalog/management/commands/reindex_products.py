"""`manage.py reindex_products [--missing] [--no-terms]`: rewrite the search documents."""

import time

from django.core.management.base import BaseCommand

from catalog.services import product_search_reindex, search_terms_rebuild


class Command(BaseCommand):
    help = (
        "Rewrite every product's full-text search document (PostgreSQL) in batches, each in "
        "its own short transaction, and rebuild the name words typo correction uses; both "
        "tables are then analyzed (PostgreSQL), so the planner's estimates hold. Run it "
        "after a bulk import that bypassed the services, or when the document's definition "
        "changes; --missing only fills products that have none."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing", action="store_true", help="only products without a search document"
        )
        parser.add_argument(
            "--no-terms", action="store_true", help="leave the typo-correction words as they are"
        )

    def handle(self, *args, missing: bool, no_terms: bool, **options):
        started = time.monotonic()
        written = product_search_reindex(only_missing=missing)
        self.stdout.write(
            f"{written} search document(s) written in {time.monotonic() - started:.1f}s."
        )
        if not no_terms:
            started = time.monotonic()
            terms = search_terms_rebuild()
            self.stdout.write(
                f"{terms} name word(s) for typo correction, {time.monotonic() - started:.1f}s."
            )
