#!/usr/bin/env python
"""Catalog read benchmark: latency and SQL query count of the public product list.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/marketplace_bench \
        python bench/catalog_bench.py --products 1000000

Runs against the database that DATABASE_URL names (meant for a dedicated PostgreSQL
database; `make bench` creates it), migrates it, seeds it with seed_demo up to --products
when needed, then sends each request --requests times in-process through Django's test
client (the whole Django/DRF stack, no HTTP server) and prints a table of median and p95
latencies and query counts. On PostgreSQL it ends with EXPLAIN (ANALYZE, BUFFERS) of the
search queries, to show whether the trigram index on the product name is used, and of the
price-ordered queries, to show whether the stored-price indexes are used.
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

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalog.models import Brand, Category, Product  # noqa: E402

TRIGRAM_INDEX = "catalog_product_name_trgm"
PRICE_INDEXES = ("catalog_prod_price_asc_idx", "catalog_prod_price_desc_idx")
PRODUCTS_URL = "/api/v1/products/"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000, help="demo products wanted")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per case")
    parser.add_argument("--search", default="hydrat", help="partial product-name term")
    parser.add_argument(
        "--rare-search", default="99999", help="a partial term only a few product names have"
    )
    parser.add_argument("--skip-seed", action="store_true", help="use the data as it is")
    parser.add_argument("--no-explain", action="store_true", help="skip EXPLAIN ANALYZE")
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


def cases(search_term: str, rare_term: str) -> list[tuple[str, str]]:
    brand = Brand.objects.order_by("name").first()
    top = Category.objects.filter(parent=None, children__isnull=False).order_by("name").first()
    visible = Product.objects.filter(is_active=True, is_deleted=False).count()
    deep_page = max(1, visible // 20 // 2)  # the middle of the listing
    detail = Product.objects.filter(is_active=True, is_deleted=False).only("id").first()
    found = [
        ("list page 1, page_size=20", PRODUCTS_URL),
        ("list page 1, page_size=100", f"{PRODUCTS_URL}?page_size=100"),
        (f"deep page {deep_page:,} (size 20)", f"{PRODUCTS_URL}?page={deep_page}"),
        (f"search name ~ '{search_term}'", f"{PRODUCTS_URL}?search={search_term}"),
        (f"search name ~ '{rare_term}' (selective)", f"{PRODUCTS_URL}?search={rare_term}"),
    ]
    if brand:
        term = brand.name.split()[0]
        found += [
            (f"search brand name '{term}'", f"{PRODUCTS_URL}?search={term}"),
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
    return {
        "status": response.status_code,
        "count": body.get("count", "-") if isinstance(body, dict) else "-",
        "queries": len(queries.captured_queries),
        # Time spent in the database for one request, as Django's debug cursor saw it.
        "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
        "median": statistics.median(timings),
        "p95": p95,
        "sql": [q["sql"] for q in queries.captured_queries],
    }


def print_table(rows: list[tuple[str, str, dict]]) -> None:
    header = (
        f"{'case':<40} {'status':>6} {'count':>9} {'queries':>7} {'median ms':>10} "
        f"{'p95 ms':>8} {'sql ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, _, r in rows:
        count = f"{r['count']:,}" if isinstance(r["count"], int) else r["count"]
        print(
            f"{name:<40} {r['status']:>6} {count:>9} {r['queries']:>7} "
            f"{r['median']:>10.1f} {r['p95']:>8.1f} {r['sql_ms']:>8.1f}"
        )


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def explain_search(rows, search_term: str) -> None:
    print(f"\n=== EXPLAIN ANALYZE: name LIKE '%{search_term}%' alone (the ORM filter) ===")
    sql, params = (
        Product.objects.filter(name__icontains=search_term).values("id").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        plain_sql = cursor.mogrify(sql, params).decode()
    plan = explain(plain_sql)
    print(plan)
    print(f"-> trigram index {TRIGRAM_INDEX} used: {TRIGRAM_INDEX in plan}")

    for name, _, result in rows:
        if not name.startswith("search"):
            continue
        product_queries = [q for q in result["sql"] if 'FROM "catalog_product"' in q]
        for sql in product_queries:
            kind = "COUNT" if "COUNT(*)" in sql else "PAGE"
            print(f"\n=== EXPLAIN ANALYZE: {name}, {kind} query of the endpoint ===")
            plan = explain(sql)
            print(plan)
            print(f"-> trigram index {TRIGRAM_INDEX} used: {TRIGRAM_INDEX in plan}")


def explain_price(rows) -> None:
    for name, _, result in rows:
        if "price" not in name:
            continue
        product_queries = [q for q in result["sql"] if 'FROM "catalog_product"' in q]
        for sql in product_queries:
            kind = "COUNT" if "COUNT(*)" in sql else "PAGE"
            print(f"\n=== EXPLAIN ANALYZE: {name}, {kind} query of the endpoint ===")
            plan = explain(sql)
            print(plan)
            used = [index for index in PRICE_INDEXES if index in plan]
            print(f"-> stored-price index used: {', '.join(used) or 'none'}")


def main() -> None:
    args = parse_args()
    vendor = connection.vendor
    name = connection.settings_dict["NAME"]
    print(f"Database: {vendor} {name}")
    if vendor == "postgresql" and name in {"postgres", "test_postgres"}:
        sys.exit("Refusing to benchmark in a shared database; use e.g. marketplace_bench.")
    prepare(args.products, args.skip_seed)
    total = Product.objects.count()
    print(f"Products in the table: {total:,}; {args.requests} timed requests per case.\n")

    client = Client(HTTP_ACCEPT="application/json")
    rows = []
    for case_name, url in cases(args.search, args.rare_search):
        rows.append((case_name, url, measure(client, url, args.requests, args.warmup)))
    print_table(rows)
    failures = [(n, u, r["status"]) for n, u, r in rows if r["status"] != 200]
    for case_name, url, status in failures:
        print(f"!! {case_name}: {url} answered {status}")

    if vendor == "postgresql" and not args.no_explain:
        explain_search(rows, args.search)
        explain_price(rows)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
