"""Reads of coupons worth naming."""

from uuid import UUID

from django.db.models import QuerySet, Value
from django.db.models.functions import Upper

from coupons.models import Coupon, CouponRedemption


def coupon_list() -> QuerySet[Coupon]:
    # The id breaks ties between coupons created in the same instant: pages never overlap.
    return Coupon.objects.order_by("-created_at", "-id")


def _by_code(code: str) -> QuerySet[Coupon]:
    # Compared like the coupons_code_ci_unique constraint (UPPER(code)), so its index
    # answers it, and a code stored in another case by an old row still matches.
    return Coupon.objects.alias(upper_code=Upper("code")).filter(
        upper_code=Upper(Value(code.strip()))
    )


def coupon_get_by_code(*, code: str) -> Coupon | None:
    """The coupon with this code, in any case, or None."""
    return _by_code(code).first()


def coupon_code_taken(*, code: str, exclude_id: UUID | None = None) -> bool:
    queryset = _by_code(code)
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.exists()


def coupon_uses_by(*, coupon: Coupon, user) -> int:
    """How many orders of `user` (not cancelled: a cancel deletes the redemption) used the
    coupon."""
    return CouponRedemption.objects.filter(coupon=coupon, user=user).count()
