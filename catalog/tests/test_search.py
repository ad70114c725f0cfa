"""`?search=`: relevance, prefixes, typos and filters. Full-text behaviour is PostgreSQL's
(marked `postgres`); the rules both backends keep run everywhere."""

import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from catalog import listing, services
from catalog.models import Product, SearchTerm
from catalog.search import parse_search
from catalog.tests.factories import BrandFactory, CategoryFactory, ProductFactory
from catalog.tests.helpers import PRODUCTS, assert_validation_error
from stores.models import StoreStatus
from stores.services import store_staff_update
from stores.tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def postgres_only(test):
    skip = pytest.mark.skipif(
        connection.vendor != "postgresql", reason="full-text search is PostgreSQL's"
    )
    return pytest.mark.postgres(skip(test))


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


def search(client, text, **params):
    return names(client.get(PRODUCTS, {"search": text, **params}))


# --- everywhere -------------------------------------------------------------------------


def test_a_name_match_comes_before_a_newer_category_only_match(api_client):
    serums = CategoryFactory(name="Serums")
    ProductFactory(name="Serum Concentrate")
    ProductFactory(name="Night Elixir", category=serums)  # newer, matches by category

    assert search(api_client, "serum") == ["Serum Concentrate", "Night Elixir"]


def test_an_explicit_ordering_replaces_relevance(api_client):
    serums = CategoryFactory(name="Serums")
    ProductFactory(name="Serum Concentrate")
    ProductFactory(name="Night Elixir", category=serums)

    assert search(api_client, "serum", ordering="-created_at") == [
        "Night Elixir",
        "Serum Concentrate",
    ]
    assert search(api_client, "serum", ordering="name") == ["Night Elixir", "Serum Concentrate"]


def test_search_combines_with_every_other_filter(api_client, seller):
    brand = BrandFactory(slug="aurelia")
    ProductFactory(name="Calming Cream", brand=brand, created_by=seller, stock_quantity=3)
    ProductFactory(name="Calming Gel", brand=brand, stock_quantity=0)
    ProductFactory(name="Calming Mist", stock_quantity=3)

    assert search(api_client, "calming", brand="aurelia") == ["Calming Gel", "Calming Cream"]
    assert search(api_client, "calming", brand="aurelia", in_stock="true") == ["Calming Cream"]
    assert search(api_client, "calming", seller=str(seller.pk)) == ["Calming Cream"]


def test_a_minus_word_excludes_the_products_that_have_it(api_client):
    ProductFactory(name="Vitamin C Serum")
    ProductFactory(name="Retinol Serum")

    assert search(api_client, "serum -retinol") == ["Vitamin C Serum"]
    assert search(api_client, "-retinol") == ["Vitamin C Serum"]


def test_a_search_of_spaces_lists_everything(api_client):
    ProductFactory(name="Serum")

    assert search(api_client, "   ") == ["Serum"]


def test_relevance_results_are_paged_without_duplicates_or_gaps(api_client):
    serums = CategoryFactory(name="Serums")
    expected = []
    for number in range(5):
        ProductFactory(name=f"Elixir {number}", category=serums)
    for number in range(4):
        expected.insert(0, f"Serum {number}")
        ProductFactory(name=f"Serum {number}")
    expected += [f"Elixir {number}" for number in reversed(range(5))]

    pages = [search(api_client, "serum", page_size=2, page=page) for page in range(1, 6)]

    assert [name for page in pages for name in page] == expected


def test_relevance_results_have_no_cursor_pages(api_client):
    ProductFactory(name="Serum")

    response = api_client.get(PRODUCTS, {"search": "serum", "cursor": ""})

    assert_validation_error(response, "cursor")


def test_the_last_word_is_a_prefix_only_while_it_is_being_typed():
    assert parse_search("vitamin ser").prefix is True
    assert parse_search("vitamin ser ").prefix is False
    assert parse_search("100%").prefix is False
    assert parse_search("serum -ret").prefix is False
    assert parse_search("Roche-Posay").words == ("roche", "posay")


# --- PostgreSQL full text ---------------------------------------------------------------


@postgres_only
def test_a_name_match_ranks_before_a_description_only_match(api_client):
    ProductFactory(name="Barrier Cream", description="Keeps skin calm.")
    ProductFactory(name="Night Balm", description="A rich barrier balm for dry skin.")

    assert search(api_client, "barrier") == ["Barrier Cream", "Night Balm"]


@postgres_only
def test_brand_before_category_before_description(api_client):
    ProductFactory(name="One", description="Made with glow.")
    ProductFactory(name="Two", category=CategoryFactory(name="Glow Care"))
    ProductFactory(name="Three", brand=BrandFactory(name="Glow Labs"))

    assert search(api_client, "glow") == ["Three", "Two", "One"]


@postgres_only
def test_the_last_word_matches_the_start_of_a_word(api_client):
    ProductFactory(name="Hydrating Toner")
    ProductFactory(name="Clay Mask")

    assert search(api_client, "hydra") == ["Hydrating Toner"]
    assert search(api_client, "toner hydr") == ["Hydrating Toner"]


@postgres_only
def test_english_stems_find_other_forms_of_a_word(api_client):
    ProductFactory(name="Vitamin Serum")
    ProductFactory(name="Clay Masks")

    assert search(api_client, "serums ") == ["Vitamin Serum"]
    assert search(api_client, "mask ") == ["Clay Masks"]


@postgres_only
def test_a_misspelt_word_finds_what_was_meant(api_client):
    ProductFactory(name="Hydrating Serum")
    ProductFactory(name="Clay Mask")

    assert search(api_client, "hydrting") == ["Hydrating Serum"]
    assert search(api_client, "serun hydrating") == ["Hydrating Serum"]
    assert search(api_client, "mask clayy") == ["Clay Mask"]


@postgres_only
def test_exact_matches_come_before_typo_corrections(api_client):
    ProductFactory(name="Sunscreen Stick")  # what "sunscren" may have meant
    ProductFactory(name="Sunscren Lotion")  # the word as typed

    assert search(api_client, "sunscren ") == ["Sunscren Lotion", "Sunscreen Stick"]


@postgres_only
def test_typos_are_not_corrected_when_enough_products_match(api_client):
    for number in range(6):
        ProductFactory(name=f"Sunscren {number}")
    ProductFactory(name="Sunscreen Stick")

    assert "Sunscreen Stick" not in search(api_client, "sunscren ", page_size=20)


@postgres_only
def test_search_words_cannot_inject_tsquery_syntax(api_client):
    ProductFactory(name="Serum")

    for text in ("':*", "a & | ! <-> b", "serum'):* | '", "(serum"):
        assert api_client.get(PRODUCTS, {"search": text}).status_code == 200
    assert search(api_client, "(serum") == ["Serum"]


@postgres_only
def test_a_big_result_is_ranked_by_tier_and_paged_without_gaps(api_client, monkeypatch):
    # Above SEARCH_RANK_LIMIT the tiers are read one query each, newest first inside.
    monkeypatch.setattr(listing, "SEARCH_RANK_LIMIT", 0)
    glow = CategoryFactory(name="Glow")
    ProductFactory(name="Elixir A", category=glow)
    ProductFactory(name="Glow Serum")
    ProductFactory(name="Elixir B", category=glow)
    ProductFactory(name="Glow Cream")
    ProductFactory(name="Balm", description="For a glow.")

    pages = [search(api_client, "glow", page_size=2, page=page) for page in (1, 2, 3)]

    assert pages == [["Glow Cream", "Glow Serum"], ["Elixir B", "Elixir A"], ["Balm"]]


@postgres_only
def test_services_keep_the_search_document_current(staff_client, api_client):
    category = CategoryFactory(name="Serums")
    store = StoreFactory(status=StoreStatus.APPROVED)
    created = staff_client.post(
        PRODUCTS,
        {
            "name": "Plain Fluid",
            "price": "10.00",
            "category": str(category.pk),
            "store": str(store.pk),
        },
    ).json()
    assert search(api_client, "fluid") == ["Plain Fluid"]

    staff_client.patch(f"{PRODUCTS}{created['id']}/", {"name": "Radiant Fluid"})

    assert search(api_client, "radiant") == ["Radiant Fluid"]


@postgres_only
def test_renaming_a_brand_or_category_reindexes_its_products(
    staff_client, api_client, django_capture_on_commit_callbacks
):
    brand, category = BrandFactory(name="Old Brand"), CategoryFactory(name="Old Category")
    ProductFactory(name="Cream", brand=brand, category=category)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.patch(f"/api/v1/brands/{brand.pk}/", {"name": "Kerasol"})
        staff_client.patch(f"/api/v1/categories/{category.pk}/", {"name": "Treatments"})

    assert search(api_client, "kerasol") == ["Cream"]
    assert search(api_client, "treatments") == ["Cream"]
    assert search(api_client, "old ") == []
    assert SearchTerm.objects.filter(term__in=["kerasol", "treatments"]).count() == 2


@postgres_only
def test_the_reindex_command_fills_documents_written_around_the_services(api_client):
    ProductFactory(name="Gentle Cleanser")
    Product.objects.update(search_vector=None)
    assert search(api_client, "gentle ") == []

    call_command("reindex_products", "--missing", stdout=StringIO())

    assert search(api_client, "gentle ") == ["Gentle Cleanser"]


@postgres_only
def test_the_migration_writes_the_same_document_as_the_services(monkeypatch):
    migration = importlib.import_module("catalog.migrations.0011_backfill_product_search_vector")
    monkeypatch.setattr(migration, "BATCH_SIZE", 2)
    products = [
        ProductFactory(name="Serum One", description="Hydrating and calm."),
        ProductFactory(name="Serum Two", brand=None),
        ProductFactory(name="Serum Three"),
    ]
    written = {
        p.pk: p.search_vector for p in Product.objects.filter(pk__in=[p.pk for p in products])
    }
    Product.objects.update(search_vector=None)

    migration.backfill(apps, SimpleNamespace(connection=connection))

    again = {p.pk: p.search_vector for p in Product.objects.all()}
    assert again == written
    assert all(again.values())


@postgres_only
def test_rebuilding_terms_keeps_only_words_of_current_names():
    ProductFactory(name="Bond Repair No. 123", brand=BrandFactory(name="Kerasol"))
    SearchTerm.objects.create(term="forgotten")

    services.search_terms_rebuild()

    terms = set(SearchTerm.objects.values_list("term", flat=True))
    assert {"bond", "repair", "kerasol"} <= terms
    assert "forgotten" not in terms
    assert "123" not in terms


@postgres_only
def test_a_store_name_matches_like_a_brand_before_the_category(api_client):
    store = StoreFactory(status=StoreStatus.APPROVED, name="Lumiere Atelier")
    ProductFactory(name="One", category=CategoryFactory(name="Lumiere Care"))
    ProductFactory(name="Two", store=store, created_by=store.owner)

    assert search(api_client, "lumiere") == ["Two", "One"]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_renaming_a_store_reindexes_its_products(api_client):
    store = StoreFactory(status=StoreStatus.APPROVED, name="Old Name Shop")
    ProductFactory(name="Tonic", store=store, created_by=store.owner)
    store.name = "Verbena House"

    store_staff_update(store=store, fields=["name"])

    assert search(api_client, "verbena") == ["Tonic"]
    assert search(api_client, "old name shop") == []
