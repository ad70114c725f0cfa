"""expire_unpaid_orders: old pending orders are cancelled and give their stock back."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from checkout.services import order_expire_unpaid, order_place
from orders.models import Order, OrderStatus
from orders.services import order_mark_paid
from orders.tests.factories import ADDRESS, fill_cart, stock_of

pytestmark = pytest.mark.django_db


def aged_order(product, quantity: int, minutes: int) -> Order:
    user = UserFactory()
    fill_cart(user, {product: quantity})
    order = order_place(user=user, shipping_address=ADDRESS)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))
    return order


def run(*args) -> str:
    out = StringIO()
    call_command("expire_unpaid_orders", *args, stdout=out)
    return out.getvalue()


def test_old_pending_orders_are_cancelled_and_give_their_stock_back(
    settings, django_capture_on_commit_callbacks
):
    settings.ORDER_UNPAID_EXPIRY_MINUTES = 60
    product = ProductFactory(stock_quantity=10)
    old = aged_order(product, 3, minutes=61)
    fresh = aged_order(product, 2, minutes=59)
    old_paid = aged_order(product, 1, minutes=600)
    order_mark_paid(order=old_paid)
    assert stock_of(product) == 4

    with django_capture_on_commit_callbacks(execute=True):
        output = run()

    assert "Expired 1 " in output
    old.refresh_from_db()
    assert (old.status, old.cancel_reason) == (OrderStatus.CANCELLED, "expired")
    assert old.cancelled_at is not None
    assert Order.objects.get(pk=fresh.pk).status == OrderStatus.PENDING
    assert Order.objects.get(pk=old_paid.pk).status == OrderStatus.PAID
    assert stock_of(product) == 7
    assert [m.to for m in mail.outbox if "cancelled" in m.subject] == [[old.email]]


def test_the_minutes_option_overrides_the_setting(settings):
    settings.ORDER_UNPAID_EXPIRY_MINUTES = 60
    product = ProductFactory(stock_quantity=5)
    order = aged_order(product, 1, minutes=10)

    output = run("--minutes", "5")

    assert "Expired 1 " in output
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert stock_of(product) == 5


def test_running_again_expires_nothing_more():
    product = ProductFactory(stock_quantity=5)
    aged_order(product, 2, minutes=120)
    run("--minutes", "60")

    output = run("--minutes", "60")

    assert "Expired 0 " in output
    assert stock_of(product) == 5


def test_the_minutes_must_be_positive():
    with pytest.raises(CommandError):
        run("--minutes", "0")


def test_the_service_returns_how_many_it_expired():
    product = ProductFactory(stock_quantity=9)
    for _ in range(3):
        aged_order(product, 1, minutes=30)

    assert order_expire_unpaid(older_than=timedelta(minutes=31)) == 0
    assert order_expire_unpaid(older_than=timedelta(minutes=29)) == 3
    assert stock_of(product) == 9
