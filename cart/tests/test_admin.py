import pytest

from accounts.tests.factories import UserFactory
from cart.tests.factories import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/cart/cart/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_cart_changelist_shows_owner_and_item_count(admin_client):
    cart = CartFactory(user=UserFactory(email="buyer@example.com"))
    CartItemFactory(cart=cart, quantity=2)
    CartItemFactory(cart=cart, quantity=3)
    CartFactory(guest=True)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert "buyer@example.com" in content
    assert '<td class="field-item_count">5</td>' in content
    assert "guest" in content


@pytest.mark.parametrize(("kind", "expected"), [("user", "user-cart"), ("guest", "guest-cart")])
def test_cart_changelist_filters_users_and_guests(admin_client, kind, expected):
    carts = {
        "user-cart": CartFactory(),
        "guest-cart": CartFactory(guest=True),
    }

    response = admin_client.get(CHANGELIST, {"kind": kind})

    shown = {cart.pk for cart in response.context["cl"].result_list}
    assert shown == {carts[expected].pk}


def test_cart_changelist_searches_by_email_and_token(admin_client):
    user_cart = CartFactory(user=UserFactory(email="findme@example.com"))
    guest = CartFactory(guest=True)

    by_email = admin_client.get(CHANGELIST, {"q": "findme"})
    by_token = admin_client.get(CHANGELIST, {"q": guest.token})

    assert [c.pk for c in by_email.context["cl"].result_list] == [user_cart.pk]
    assert [c.pk for c in by_token.context["cl"].result_list] == [guest.pk]


def test_cart_change_page_shows_its_lines(admin_client):
    item = CartItemFactory()

    response = admin_client.get(f"{CHANGELIST}{item.cart.pk}/change/")

    assert response.status_code == 200
    assert str(item.product.pk) in response.content.decode()
