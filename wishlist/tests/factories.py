import secrets

import factory

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from wishlist.models import Wishlist, WishlistItem


class WishlistFactory(factory.django.DjangoModelFactory):
    """A user's wishlist; `WishlistFactory(shared=True)` has a share token."""

    class Meta:
        model = Wishlist

    user = factory.SubFactory(UserFactory)
    share_token = None

    class Params:
        shared = factory.Trait(share_token=factory.LazyFunction(lambda: secrets.token_urlsafe(32)))


class WishlistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WishlistItem

    wishlist = factory.SubFactory(WishlistFactory)
    product = factory.SubFactory(ProductFactory)
