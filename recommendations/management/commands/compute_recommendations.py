from django.core.management.base import BaseCommand, CommandError

from recommendations.services import DEFAULT_TOP_N, recommendations_compute_detailed


class Command(BaseCommand):
    help = (
        "Precompute product recommendations, so that requests only read them. "
        "Bought-together: one aggregate query over paid, shipped and delivered orders "
        "(streamed, top N per product cut by the database). Similar: per category, with an "
        "inverted index of name and description words, so only products sharing a word or "
        "a brand are compared, at most a few hundred per product. Each product's list is "
        "replaced in one transaction, in chunks, so readers never see half a list and "
        "memory stays bounded by the largest category. Cost: the similar pass grows with "
        "the catalog (on the order of a millisecond per product); on a very large catalog "
        "use --only-ordered for frequent runs (products in orders or wishlists get fresh "
        "lists; others keep theirs, and products without a list get a cached fallback at "
        "request time) and a full run nightly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--top-n",
            type=int,
            default=DEFAULT_TOP_N,
            help=f"Products kept per list and kind (default {DEFAULT_TOP_N}).",
        )
        parser.add_argument(
            "--only-ordered",
            action="store_true",
            help="Recompute similar lists only for products that appear in orders or "
            "wishlists (candidates are still their whole category). Much faster on big "
            "catalogs; other products keep their lists or use the request-time fallback.",
        )

    def handle(self, *args, top_n=DEFAULT_TOP_N, only_ordered=False, **options):
        if top_n < 1:
            raise CommandError("--top-n must be at least 1.")
        result = recommendations_compute_detailed(top_n=top_n, only_ordered=only_ordered)
        self.stdout.write(
            f"Wrote {result.bought_together} bought-together and {result.similar} similar "
            f"recommendation(s) ({result.rows} in all) for {result.products} product(s) "
            f"in {result.seconds:.1f}s."
        )
