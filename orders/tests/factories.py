from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from cart.models import Cart, CartItem
from catalog.tests.factories import ProductFactory
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderItem, OrderStatus
from stores.models import StoreStatus
from stores.tests.factories import StoreFactory

ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "line2": "",
    "city": "London",
    "region": "",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
    "phone": "",
}


class OrderFactory(factory.django.DjangoModelFactory):
    """An order as checkout writes it, without touching stock (use order_place for that)."""

    class Meta:
        model = Order

    user = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda o: o.user.email)
    status = OrderStatus.PENDING
    currency = "USD"
    subtotal = Decimal("19.99")
    discount_total = Decimal("0.00")
    total = factory.LazyAttribute(lambda o: o.subtotal - o.discount_total)
    shipping_address = factory.LazyFunction(lambda: dict(ADDRESS))


class FulfilmentFactory(factory.django.DjangoModelFactory):
    """One store's part of an order, with its amounts (no lines unless a test adds them)."""

    class Meta:
        model = Fulfilment

    order = factory.SubFactory(OrderFactory)
    store = factory.SubFactory(StoreFactory, status=StoreStatus.APPROVED)
    status = FulfilmentStatus.PAID
    currency = "USD"
    subtotal = Decimal("100.00")
    discount_share = Decimal("0.00")
    total = factory.LazyAttribute(lambda o: o.subtotal - o.discount_share)
    commission = Decimal("10.00")


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    product_name = factory.LazyAttribute(lambda o: o.product.name)
    product_slug = factory.LazyAttribute(lambda o: o.product.slug)
    unit_price = factory.LazyAttribute(lambda o: o.product.price)
    quantity = 1
    line_total = factory.LazyAttribute(lambda o: o.unit_price * o.quantity)


def fill_cart(user, lines: dict) -> Cart:
    """Give the user a cart holding {product: quantity} (replacing what it held)."""
    cart, _ = Cart.objects.get_or_create(user=user)
    cart.items.all().delete()
    for product, quantity in lines.items():
        CartItem.objects.create(cart=cart, product=product, quantity=quantity)
    return cart


def cart_lines(user) -> dict:
    """{product_id: quantity} of the user's cart."""
    return dict(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity"))


def stock_of(product) -> int:
    product.refresh_from_db(fields=["stock_quantity"])
    return product.stock_quantity
