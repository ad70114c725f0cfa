"""Running seed_demo from a test, and counting what it wrote."""

from io import StringIO

from django.core.management import call_command

from accounts.models import User
from cart.models import Cart, CartItem
from coupons.models import Coupon, CouponRedemption
from orders.models import Order, OrderItem
from payments.models import Payment, Refund
from reviews.models import Review
from wishlist.models import Wishlist, WishlistItem


def seed(products, **options) -> str:
    """Run `seed_demo --products N [options]`; returns what it printed."""
    out = StringIO()
    call_command("seed_demo", products=products, stdout=out, **options)
    return out.getvalue()


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Order,
            OrderItem,
            Payment,
            Refund,
            Coupon,
            CouponRedemption,
            Review,
            Wishlist,
            WishlistItem,
            Cart,
            CartItem,
        )
    }
