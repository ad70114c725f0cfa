"""The stored effective price (Product.current_price): exact after every write through the
services, caught up at discount boundaries by product_prices_refresh (Celery beat, every
minute) and repaired for every product by `refresh_product_prices --all`."""

import importlib
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory, approved_store_for
from catalog import services
from catalog.models import Product
from catalog.tasks import refresh_product_prices
from catalog.tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def a_store():
    return approved_store_for(UserFactory())


def stored_price(product) -> Decimal:
    return Product.objects.values_list("current_price", flat=True).get(pk=product.pk)


def move_window(product, **fields) -> None:
    """Shift a discount window in the database only, as the passing of time would: the
    stored price is not touched, like at a real scheduled start or end."""
    Product.objects.filter(pk=product.pk).update(**fields)


def refresh_command(*args) -> str:
    out = StringIO()
    call_command("refresh_product_prices", *args, stdout=out)
    return out.getvalue()


# --- every write through the services -----------------------------------------------------


def test_product_create_stores_the_discounted_price():
    product = services.product_create(
        created_by=None,
        store=a_store(),
        name="Serum",
        price=Decimal("40.00"),
        category=CategoryFactory(),
        discount_percent=Decimal("25"),
    )

    assert stored_price(product) == Decimal("30.00")


def test_product_create_with_a_future_discount_stores_the_base_price():
    product = services.product_create(
        created_by=None,
        store=a_store(),
        name="Serum",
        price=Decimal("40.00"),
        category=CategoryFactory(),
        discount_percent=Decimal("25"),
        discount_starts_at=timezone.now() + timedelta(hours=1),
    )

    assert stored_price(product) == Decimal("40.00")


def test_product_update_of_the_price_or_discount_updates_the_stored_price():
    product = ProductFactory(price=Decimal("40.00"), discount_percent=Decimal("25"))

    services.product_update(product=product, data={"price": Decimal("80.00")})
    after_price = stored_price(product)
    services.product_update(product=product, data={"discount_percent": None})

    assert after_price == Decimal("60.00")
    assert stored_price(product) == Decimal("80.00")


def test_setting_and_clearing_a_discount_updates_the_stored_price():
    product = ProductFactory(price=Decimal("10.00"))

    services.product_set_discount(product=product, discount_percent=Decimal("50"))
    discounted = stored_price(product)
    services.product_clear_discount(product=product)

    assert discounted == Decimal("5.00")
    assert stored_price(product) == Decimal("10.00")


def test_a_scheduled_discount_keeps_the_base_price_stored_until_it_starts():
    product = ProductFactory(price=Decimal("10.00"))

    services.product_set_discount(
        product=product,
        discount_percent=Decimal("50"),
        starts_at=timezone.now() + timedelta(hours=1),
    )

    assert stored_price(product) == Decimal("10.00")


# --- the refresh at discount boundaries ---------------------------------------------------


def test_a_scheduled_discount_reaches_the_stored_price_at_the_refresh_after_it_starts():
    product = ProductFactory(price=Decimal("10.00"))
    now = timezone.now()
    services.product_set_discount(
        product=product,
        discount_percent=Decimal("50"),
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    move_window(
        product,
        discount_starts_at=now - timedelta(minutes=1),
        discount_ends_at=now + timedelta(hours=1),
    )
    before_refresh = stored_price(product)

    changed = services.product_prices_refresh()

    assert before_refresh == Decimal("10.00")
    assert changed == 1
    assert stored_price(product) == Decimal("5.00")


def test_the_stored_price_returns_to_the_base_price_at_the_refresh_after_the_discount_ends():
    product = ProductFactory(
        price=Decimal("10.00"),
        discount_percent=Decimal("50"),
        discount_ends_at=timezone.now() + timedelta(hours=1),
    )
    move_window(product, discount_ends_at=timezone.now() - timedelta(minutes=1))
    before_refresh = stored_price(product)

    changed = services.product_prices_refresh()

    assert before_refresh == Decimal("5.00")
    assert changed == 1
    assert stored_price(product) == Decimal("10.00")


def test_the_refresh_writes_only_prices_that_differ():
    ended = ProductFactory(
        price=Decimal("10.00"),
        discount_percent=Decimal("50"),
        discount_ends_at=timezone.now() + timedelta(hours=1),
    )
    move_window(ended, discount_ends_at=timezone.now() - timedelta(minutes=1))

    first, second = services.product_prices_refresh(), services.product_prices_refresh()

    assert (first, second) == (1, 0)


def test_the_periodic_refresh_leaves_boundaries_before_its_lookback_alone():
    # A discount that started an hour ago and a row made stale by hand: only --all (or a
    # longer --since-minutes) looks that far back.
    product = ProductFactory(
        price=Decimal("10.00"),
        discount_percent=Decimal("50"),
        discount_starts_at=timezone.now() - timedelta(hours=1),
        current_price=Decimal("10.00"),
    )

    default_run = services.product_prices_refresh()
    stale = stored_price(product)
    longer_run = services.product_prices_refresh(since=timezone.now() - timedelta(hours=2))

    assert (default_run, stale) == (0, Decimal("10.00"))
    assert longer_run == 1
    assert stored_price(product) == Decimal("5.00")


def test_refresh_all_repairs_a_tampered_row_and_leaves_correct_ones():
    tampered = ProductFactory(price=Decimal("20.00"))
    correct = ProductFactory(price=Decimal("30.00"), discount_percent=Decimal("10"))
    Product.objects.filter(pk=tampered.pk).update(current_price=Decimal("1.00"))

    output = refresh_command("--all")

    assert "Refreshed 1 product price(s)" in output
    assert stored_price(tampered) == Decimal("20.00")
    assert stored_price(correct) == Decimal("27.00")


def test_refresh_command_since_minutes_widens_the_lookback():
    product = ProductFactory(
        price=Decimal("10.00"),
        discount_percent=Decimal("50"),
        discount_ends_at=timezone.now() + timedelta(hours=1),
    )
    move_window(product, discount_ends_at=timezone.now() - timedelta(minutes=30))

    default_output = refresh_command()
    wide_output = refresh_command("--since-minutes", "60")

    assert "Refreshed 0 product price(s)" in default_output
    assert "Refreshed 1 product price(s)" in wide_output
    assert stored_price(product) == Decimal("10.00")


@pytest.mark.parametrize("args", [["--since-minutes", "0"], ["--all", "--since-minutes", "5"]])
def test_refresh_command_refuses_bad_options(args):
    with pytest.raises(CommandError):
        refresh_command(*args)


def test_the_beat_task_refreshes_recent_boundaries():
    product = ProductFactory(
        price=Decimal("10.00"),
        discount_percent=Decimal("50"),
        discount_starts_at=timezone.now() + timedelta(hours=1),
    )
    move_window(product, discount_starts_at=timezone.now() - timedelta(minutes=2))

    assert refresh_product_prices.delay().get() == 1
    assert stored_price(product) == Decimal("5.00")


def test_the_migration_backfill_sets_every_row_batch_by_batch(monkeypatch):
    migration = importlib.import_module("catalog.migrations.0005_backfill_product_current_price")
    monkeypatch.setattr(migration, "BATCH_SIZE", 2)
    plain = ProductFactory.create_batch(4, price=Decimal("12.00"))
    discounted = ProductFactory(price=Decimal("10.05"), discount_percent=Decimal("50"))
    Product.objects.update(current_price=Decimal("0.01"))

    # The function reads only the schema editor's connection.
    migration.backfill_current_price(apps, SimpleNamespace(connection=connection))

    assert [stored_price(product) for product in plain] == [Decimal("12.00")] * 4
    assert stored_price(discounted) == Decimal("5.03")
