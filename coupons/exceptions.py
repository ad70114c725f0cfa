"""Domain errors of coupons. The one exception handler (core.exceptions) renders them."""

from core.exceptions import BusinessValidationError, Conflict


class CouponNotApplicable(BusinessValidationError):
    """The coupon cannot be used on this cart now (a 400). `reason` is machine-readable
    (one of coupons.services.REASONS) and is also a field of the answer."""

    def __init__(self, *, reason: str, message: str, field: str = "code"):
        super().__init__({field: [message]}, message)
        self.reason = reason
        self.extra["reason"] = reason


class CouponUsedUp(Conflict):
    """Every use of the coupon was taken, possibly by a concurrent checkout (a 409)."""

    default_detail = "This coupon's usage limit has been reached."

    def __init__(self, detail: str | None = None):
        super().__init__(detail, extra={"reason": "usage_limit_reached"})
