import factory

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from orders.models import OrderStatus
from orders.tests.factories import OrderItemFactory
from reviews.models import Review, ReviewStatus


class ReviewFactory(factory.django.DjangoModelFactory):
    """A review row as the services would write it; it does NOT refresh the product's
    rating fields (call reviews.services.product_rating_refresh, or use the services)."""

    class Meta:
        model = Review

    product = factory.SubFactory(ProductFactory)
    user = factory.SubFactory(UserFactory)
    rating = 4
    comment = "Does what it says."
    status = ReviewStatus.APPROVED


def make_purchase(user, product, status=OrderStatus.DELIVERED):
    """Give `user` an order in `status` containing `product`."""
    return OrderItemFactory(order__user=user, order__status=status, product=product).order


def name_user(user, first="Ada", last="Lovelace", visibility="public"):
    """Fill in the user's profile so reviews show a name."""
    profile = user.profile
    profile.first_name, profile.last_name, profile.visibility = first, last, visibility
    profile.save()
    return user
