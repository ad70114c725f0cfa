from decimal import Decimal

import factory
from django.db.models import F

from coupons.models import Coupon, CouponKind, CouponRedemption


class CouponFactory(factory.django.DjangoModelFactory):
    """A percent coupon with no limits, valid now; `CouponFactory(fixed=True)` takes a
    fixed 5.00 USD off."""

    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"SAVE{n}")
    kind = CouponKind.PERCENT
    value = Decimal("10.00")
    currency = "USD"

    class Params:
        fixed = factory.Trait(kind=CouponKind.FIXED, value=Decimal("5.00"))


class CouponRedemptionFactory(factory.django.DjangoModelFactory):
    """A recorded use; counts it in the coupon's times_used too, as checkout does."""

    class Meta:
        model = CouponRedemption
        skip_postgeneration_save = True

    coupon = factory.SubFactory(CouponFactory)
    order = factory.SubFactory("orders.tests.factories.OrderFactory")
    user = factory.LazyAttribute(lambda o: o.order.user)
    amount = Decimal("1.00")

    @factory.post_generation
    def count_the_use(obj, create, extracted, **kwargs):
        if create:
            Coupon.objects.filter(pk=obj.coupon_id).update(times_used=F("times_used") + 1)
            obj.coupon.refresh_from_db(fields=["times_used"])
