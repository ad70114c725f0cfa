#!/usr/bin/env python
"""Catalog read benchmark: latency and SQL query count of the public catalog reads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/marketplace_bench \
        python bench/catalog_bench.py --products 1000000

Runs against the database that DATABASE_URL names (meant for a dedicated PostgreSQL
database; `make bench` creates it), migrates it, seeds it with seed_demo up to --products
when needed, then sends each request --requests times in-process through Django's test
client (the whole Django/DRF stack, no HTTP server): first with the catalog cache off
("cold": every request reads the database), then with it on ("warm": the cached answer),
and prints median and p95 latencies and query counts. On PostgreSQL it ends with EXPLAIN
(ANALYZE, BUFFERS) of the product queries of the search, deep-page and price cases, and
which indexes they used.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A benchmark sends hundreds of anonymous requests a minute: lift the throttles.
os.environ["THROTTLE_ANON"] = "1000000/min"
os.environ["THROTTLE_USER"] = "1000000/min"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalog.models import Brand, Category, Product  # noqa: E402

INDEXES = (
    "catalog_product_search_gin",
    "catalog_prod_visible_key_idx",
    "catalog_prod_price_asc_idx",
    "catalog_prod_price_desc_idx",
    "catalog_prod_name_prefix_idx",
    "catalog_product_name_trgm",
)
PRODUCTS_URL = "/api/v1/products/"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000, help="demo products wanted")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per case")
    parser.add_argument("--search", default="hydrat", help="a common word (or its start)")
    parser.add_argument("--rare-search", default="99999", help="a word only a few products have")
    parser.add_argument("--typo", default="hydrting", help="a misspelt common word")
    parser.add_argument("--cursor-page", type=int, default=1000, help="page reached by cursor")
    parser.add_argument("--skip-seed", action="store_true", help="use the data as it is")
    parser.add_argument("--no-explain", action="store_true", help="skip EXPLAIN ANALYZE")
    parser.add_argument(
        "--no-warm", action="store_true", help="measure with the cache off only (cold)"
    )
    parser.add_argument(
        "--vacuum",
        action="store_true",
        help="VACUUM ANALYZE the products table first (default: measure as seeded)",
    )
    return parser.parse_args()


def prepare(products: int, skip_seed: bool) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    if skip_seed:
        return
    demo_count = Product.objects.filter(slug__contains="-no-").count()
    if demo_count >= products:
        print(f"Seed: {demo_count:,} demo products present, nothing to add.")
        return
    started = time.monotonic()
    call_command("seed_demo", products=products)
    print(f"Seed: {time.monotonic() - started:.1f}s to reach {products:,} demo products.")


def cursor_url(client: Client, url: str, page: int) -> str:
    """The URL of cursor page `page`, reached by following `next` from the first (untimed)."""
    separator = "&" if "?" in url else "?"
    current = f"{url}{separator}cursor="
    for _ in range(page - 1):
        body = client.get(current).json()
        if not body.get("next"):
            break
        current = body["next"].split("testserver", 1)[-1]
    return current


def cases(client: Client, args) -> list[tuple[str, str]]:
    brand = Brand.objects.order_by("name").first()
    top = Category.objects.filter(parent=None, children__isnull=False).order_by("name").first()
    detail = Product.objects.filter(is_active=True, is_deleted=False).only("id").first()
    deepest_page = settings.MAX_PAGE_DEPTH // 20
    found = [
        ("list page 1, page_size=20", PRODUCTS_URL),
        ("list page 1, page_size=100", f"{PRODUCTS_URL}?page_size=100"),
        (f"page {deepest_page} (deepest by number)", f"{PRODUCTS_URL}?page={deepest_page}"),
        (
            f"page {args.cursor_page:,} via cursor",
            cursor_url(client, PRODUCTS_URL, args.cursor_page),
        ),
        (
            f"page {args.cursor_page:,} via cursor, price",
            cursor_url(client, f"{PRODUCTS_URL}?ordering=price", args.cursor_page),
        ),
        (f"search '{args.search}'", f"{PRODUCTS_URL}?search={args.search}"),
        (f"search '{args.rare_search}' (rare)", f"{PRODUCTS_URL}?search={args.rare_search}"),
        (f"search '{args.typo}' (typo)", f"{PRODUCTS_URL}?search={args.typo}"),
    ]
    if brand:
        term = brand.name.split()[0]
        found += [
            (f"search brand word '{term}'", f"{PRODUCTS_URL}?search={term}"),
            (f"brand={brand.slug}", f"{PRODUCTS_URL}?brand={brand.slug}"),
        ]
    if top:
        found.append(
            (f"category={top.slug} (+subcategories)", f"{PRODUCTS_URL}?category={top.slug}")
        )
    found += [
        (
            "price 20..60, ordering=price",
            f"{PRODUCTS_URL}?min_price=20&max_price=60&ordering=price",
        ),
        ("ordering=-price, in_stock=true", f"{PRODUCTS_URL}?ordering=-price&in_stock=true"),
        ("facets (everything)", f"{PRODUCTS_URL}facets/"),
        (f"facets search '{args.search}'", f"{PRODUCTS_URL}facets/?search={args.search}"),
    ]
    if brand:
        found.append((f"facets brand={brand.slug}", f"{PRODUCTS_URL}facets/?brand={brand.slug}"))
    found += [
        ("suggest q=au", f"{PRODUCTS_URL}suggest/?q=au"),
        ("suggest q=se", f"{PRODUCTS_URL}suggest/?q=se"),
    ]
    if detail:
        found.append(("product detail", f"{PRODUCTS_URL}{detail.id}/"))
    return found


def measure(client: Client, url: str, requests: int, warmup: int) -> dict:
    for _ in range(warmup):
        client.get(url)
    # Every request start clears the query log; start from an empty one so the slice
    # CaptureQueriesContext takes is this request's queries.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    body = response.json() if response["Content-Type"].startswith("application/json") else {}
    estimate = body.get("count_is_estimate", body.get("counts_are_estimates"))
    return {
        "status": response.status_code,
        "count": body.get("count", "-") if isinstance(body, dict) else "-",
        "estimate": {True: "yes", False: "no"}.get(estimate, "-"),
        "queries": len(queries.captured_queries),
        # Time spent in the database for one request, as Django's debug cursor saw it.
        "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
        "median": statistics.median(timings),
        "p95": p95,
        "sql": [q["sql"] for q in queries.captured_queries],
    }


def print_table(rows: list[tuple[str, str, dict, dict | None]]) -> None:
    header = (
        f"{'case':<40} {'status':>6} {'count':>9} {'est':>3} {'queries':>7} {'cold p50':>9} "
        f"{'cold p95':>9} {'sql ms':>7} {'warm p50':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, _, cold, warm in rows:
        count = f"{cold['count']:,}" if isinstance(cold["count"], int) else cold["count"]
        warm_p50 = f"{warm['median']:>9.2f}" if warm else f"{'-':>9}"
        print(
            f"{name:<40} {cold['status']:>6} {count:>9} {cold['estimate']:>3} "
            f"{cold['queries']:>7} {cold['median']:>9.1f} {cold['p95']:>9.1f} "
            f"{cold['sql_ms']:>7.1f} {warm_p50}"
        )


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def explain_cases(rows, prefixes: tuple[str, ...]) -> None:
    """EXPLAIN ANALYZE of each product query the matching cases ran (not the EXPLAINs the
    count estimate itself runs)."""
    for name, _, result, _ in rows:
        if not name.startswith(prefixes):
            continue
        for sql in result["sql"]:
            if 'FROM "catalog_product"' not in sql or sql.lstrip().upper().startswith("EXPLAIN"):
                continue
            kind = "COUNT" if "COUNT(" in sql else "PAGE"
            print(f"\n=== EXPLAIN ANALYZE: {name}, {kind} query ===")
            plan = explain(sql)
            print(plan)
            used = [index for index in INDEXES if index in plan]
            print(f"-> indexes used: {', '.join(used) or 'none'}")


def main() -> None:
    args = parse_args()
    vendor = connection.vendor
    name = connection.settings_dict["NAME"]
    print(f"Database: {vendor} {name}")
    if vendor == "postgresql" and (name == "postgres" or name.startswith("test_")):
        sys.exit("Refusing to benchmark in a shared database; use e.g. marketplace_bench.")
    prepare(args.products, args.skip_seed)
    if args.vacuum and vendor == "postgresql":
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Product._meta.db_table}")
        print(f"VACUUM ANALYZE: {time.monotonic() - started:.1f}s.")
    total = Product.objects.count()
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(
        f"Products in the table: {total:,}; {args.requests} timed requests per case; "
        f"cold = cache off (answers and kept counts), warm = cache on ({backend}).\n"
    )

    client = Client(HTTP_ACCEPT="application/json")
    # Cold means every request does all of its database work, its count included.
    settings.CATALOG_CACHE_SECONDS = 0
    settings.CATALOG_COUNT_CACHE_SECONDS = 0
    rows = []
    for case_name, url in cases(client, args):
        cold = measure(client, url, args.requests, args.warmup)
        rows.append([case_name, url, cold, None])
    if not args.no_warm:
        settings.CATALOG_CACHE_SECONDS = 300
        settings.CATALOG_COUNT_CACHE_SECONDS = 300
        for row in rows:
            row[3] = measure(client, row[1], args.requests, args.warmup)
    print_table(rows)
    failures = [(n, u, r["status"]) for n, u, r, _ in rows if r["status"] != 200]
    for case_name, url, status in failures:
        print(f"!! {case_name}: {url} answered {status}")

    if vendor == "postgresql" and not args.no_explain:
        explain_cases(rows, ("search", "page", "price", "ordering"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
