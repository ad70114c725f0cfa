import secrets

import factory

from accounts.tests.factories import UserFactory
from cart.models import Cart, CartItem
from catalog.tests.factories import ProductFactory


class CartFactory(factory.django.DjangoModelFactory):
    """A user's cart; `CartFactory(guest=True)` makes a guest cart with a token."""

    class Meta:
        model = Cart

    user = factory.SubFactory(UserFactory)
    token = None

    class Params:
        guest = factory.Trait(
            user=None, token=factory.LazyFunction(lambda: secrets.token_urlsafe(32))
        )


class CartItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartItem

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
