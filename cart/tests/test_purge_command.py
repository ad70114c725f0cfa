from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cart.models import Cart, CartItem
from cart.tests.factories import CartFactory, CartItemFactory
from cart.tests.helpers import make_stale

pytestmark = pytest.mark.django_db


def _purge(*args) -> str:
    out = StringIO()
    call_command("purge_guest_carts", *args, stdout=out)
    return out.getvalue()


def test_purge_removes_old_guest_carts_and_keeps_fresh_and_user_carts(settings):
    settings.GUEST_CART_MAX_AGE_DAYS = 30
    old_guest = CartItemFactory(cart=CartFactory(guest=True)).cart
    fresh_guest = CartFactory(guest=True)
    recent_guest = CartFactory(guest=True)
    old_user_cart = CartItemFactory(cart=CartFactory()).cart
    make_stale(old_guest, days=31)
    make_stale(recent_guest, days=29)
    make_stale(old_user_cart, days=400)

    output = _purge()

    assert "Purged 1 guest cart" in output
    assert set(Cart.objects.values_list("pk", flat=True)) == {
        fresh_guest.pk,
        recent_guest.pk,
        old_user_cart.pk,
    }
    assert not CartItem.objects.filter(cart_id=old_guest.pk).exists()


def test_days_option_overrides_the_setting(settings):
    settings.GUEST_CART_MAX_AGE_DAYS = 30
    cart = CartFactory(guest=True)
    make_stale(cart, days=3)

    assert "Purged 0" in _purge("--days", "5")
    output = _purge("--days", "2")

    assert "Purged 1 guest cart" in output
    assert not Cart.objects.exists()


def test_negative_days_are_refused():
    with pytest.raises(CommandError):
        _purge("--days", "-1")
