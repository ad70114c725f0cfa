import factory

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from orders.models import OrderStatus
from orders.tests.factories import OrderFactory, OrderItemFactory
from recommendations.models import ProductRecommendation, RecommendationKind
from wishlist.models import Wishlist, WishlistItem


class ProductRecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductRecommendation

    product = factory.SubFactory(ProductFactory)
    recommended = factory.SubFactory(ProductFactory)
    kind = RecommendationKind.SIMILAR
    score = 0.5
    reason = "Same category"


class WishlistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wishlist

    user = factory.SubFactory(UserFactory)


class WishlistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WishlistItem

    wishlist = factory.SubFactory(WishlistFactory)
    product = factory.SubFactory(ProductFactory)


def order_with(*products, status=OrderStatus.PAID, user=None):
    """An order in `status` holding one line of each product."""
    order = OrderFactory(status=status, **({"user": user} if user else {}))
    for product in products:
        OrderItemFactory(order=order, product=product)
    return order


def save_to_wishlist(user, *products):
    wishlist, _ = Wishlist.objects.get_or_create(user=user)
    for product in products:
        WishlistItemFactory(wishlist=wishlist, product=product)
    return wishlist
