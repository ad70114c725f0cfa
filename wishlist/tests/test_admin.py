"""Wishlists in the admin: items inline, share links revoked through the service."""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from wishlist.models import Wishlist
from wishlist.tests.factories import WishlistFactory, WishlistItemFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/wishlist/wishlist/"


@pytest.fixture
def admin(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_changelist_searches_by_email_and_filters_shared_lists(admin):
    wanted = WishlistFactory(user=UserFactory(email="findme@example.com"), shared=True)
    WishlistFactory()

    by_email = admin.get(CHANGELIST, {"q": "findme"})
    shared = admin.get(CHANGELIST, {"shared": "yes"})

    assert list(by_email.context["cl"].result_list) == [wanted]
    assert list(shared.context["cl"].result_list) == [wanted]


def test_the_change_form_shows_the_items_inline(admin):
    item = WishlistItemFactory(product=ProductFactory(name="Inline soap"))

    response = admin.get(f"{CHANGELIST}{item.wishlist_id}/change/")

    assert response.status_code == 200
    assert "Inline soap" in response.content.decode()


def test_the_revoke_action_clears_share_tokens(admin):
    shared = WishlistFactory(shared=True)

    admin.post(
        CHANGELIST,
        {"action": "revoke_share_links", "_selected_action": [str(shared.pk)]},
        follow=True,
    )

    assert Wishlist.objects.get(pk=shared.pk).share_token is None
