"""Coupons: staff writes, the one validation of a coupon against a cart, its price, and the
counting of uses at checkout (claim) and on cancel (release).

Every rule a coupon has is in `_problem()`: the cart (to show and to apply it) and checkout
(to use it) ask the same function, so they can never disagree.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, Q
from django.utils import timezone

from core.exceptions import BusinessValidationError, Conflict
from core.money import quantize_money
from coupons.exceptions import CouponNotApplicable, CouponUsedUp
from coupons.models import Coupon, CouponKind, CouponRedemption
from coupons.selectors import coupon_code_taken, coupon_get_by_code, coupon_uses_by

CODE_TAKEN = "A coupon with this code already exists."
COUPON_USED = (
    "This coupon has been used by orders and cannot be deleted (the orders keep their "
    "redemptions); deactivate it instead with is_active=false."
)

# Machine-readable reasons a coupon does not apply (the `reason` of the 400 answer).
INACTIVE = "inactive"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
CURRENCY_MISMATCH = "currency_mismatch"
BELOW_MINIMUM = "below_minimum"
USAGE_LIMIT_REACHED = "usage_limit_reached"
PER_USER_LIMIT_REACHED = "per_user_limit_reached"
# What a code typed into a cart gets whenever it cannot be used there, whatever the cause
# (unknown, expired, used up...): the answer must not tell a guesser which codes exist.
NOT_APPLICABLE = "not_applicable"
NOT_APPLICABLE_MESSAGE = "This code cannot be used on your cart."
REASONS = (
    NOT_APPLICABLE,
    INACTIVE,
    NOT_YET_VALID,
    EXPIRED,
    CURRENCY_MISMATCH,
    BELOW_MINIMUM,
    USAGE_LIMIT_REACHED,
    PER_USER_LIMIT_REACHED,
)

# Fields staff may set; times_used is counted by checkout and cancel only.
COUPON_WRITABLE_FIELDS = (
    "code",
    "description",
    "kind",
    "value",
    "currency",
    "min_subtotal",
    "valid_from",
    "valid_until",
    "usage_limit",
    "per_user_limit",
    "is_active",
)


@dataclass(frozen=True)
class CouponProblem:
    """Why a coupon does not apply: a reason from REASONS and a message for people."""

    reason: str
    message: str


# --- the rules ----------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _rules_problem(
    *, coupon: Coupon, subtotal: Decimal, currency: str | None, at: datetime
) -> CouponProblem | None:
    """Everything but the usage counts: active flag, window, currency, minimum subtotal."""
    code = coupon.code
    if not coupon.is_active:
        return CouponProblem(INACTIVE, f"The coupon {code} is not active.")
    if coupon.valid_from and at < coupon.valid_from:
        return CouponProblem(
            NOT_YET_VALID, f"The coupon {code} is not valid before {_when(coupon.valid_from)}."
        )
    if coupon.valid_until and at >= coupon.valid_until:
        return CouponProblem(EXPIRED, f"The coupon {code} expired on {_when(coupon.valid_until)}.")
    # A fixed amount, and a minimum subtotal, are amounts in the coupon's currency: they
    # mean nothing for a cart priced in another one.
    money_bound = coupon.kind == CouponKind.FIXED or coupon.min_subtotal > 0
    if money_bound and currency and currency != coupon.currency:
        return CouponProblem(
            CURRENCY_MISMATCH,
            f"The coupon {code} is for carts in {coupon.currency}; this cart is in {currency}.",
        )
    if subtotal < coupon.min_subtotal:
        minimum = quantize_money(coupon.min_subtotal)
        return CouponProblem(
            BELOW_MINIMUM,
            f"The coupon {code} needs a subtotal of at least {minimum} {coupon.currency}; "
            f"this cart's is {quantize_money(subtotal)}.",
        )
    return None


def _usage_problem(*, coupon: Coupon) -> CouponProblem | None:
    if coupon.usage_limit is not None and coupon.times_used >= coupon.usage_limit:
        return CouponProblem(
            USAGE_LIMIT_REACHED, f"The coupon {coupon.code} has reached its usage limit."
        )
    return None


def _per_user_problem(*, coupon: Coupon, user) -> CouponProblem | None:
    # Only a known user has a count; a guest is checked again at checkout, once logged in.
    if coupon.per_user_limit is None or user is None or not user.is_authenticated:
        return None
    if coupon_uses_by(coupon=coupon, user=user) >= coupon.per_user_limit:
        return CouponProblem(
            PER_USER_LIMIT_REACHED,
            f"You have already used the coupon {coupon.code} the maximum number of times "
            f"({coupon.per_user_limit}).",
        )
    return None


def coupon_problem(
    *, coupon: Coupon, user, subtotal: Decimal, currency: str | None, at: datetime | None = None
) -> CouponProblem | None:
    """Why the coupon does not apply to a cart of `user` (None: a guest) worth `subtotal`
    in `currency` at `at` (now), or None when it does. Raises nothing."""
    at = at or timezone.now()
    return (
        _rules_problem(coupon=coupon, subtotal=subtotal, currency=currency, at=at)
        or _usage_problem(coupon=coupon)
        or _per_user_problem(coupon=coupon, user=user)
    )


def coupon_check(
    *, coupon: Coupon, user, subtotal: Decimal, currency: str | None, at: datetime | None = None
) -> None:
    """Raise CouponNotApplicable (a 400 on `code`, with its `reason`) when the coupon does
    not apply: inactive, not yet valid, expired, currency mismatch, below the minimum
    subtotal, usage limit reached, per-user limit reached (only for a known user)."""
    problem = coupon_problem(coupon=coupon, user=user, subtotal=subtotal, currency=currency, at=at)
    if problem is not None:
        raise CouponNotApplicable(reason=problem.reason, message=problem.message)


def coupon_for_cart(*, code: str, user, subtotal: Decimal, currency: str | None) -> Coupon:
    """The coupon a code names, when it applies to this cart now. Raises
    CouponNotApplicable with one answer (`not_applicable`) for every code that does not:
    unknown, or refused by any rule, so the answer reveals neither which codes exist nor
    their dates."""
    coupon = coupon_get_by_code(code=code)
    if coupon is None or coupon_problem(
        coupon=coupon, user=user, subtotal=subtotal, currency=currency
    ):
        raise CouponNotApplicable(reason=NOT_APPLICABLE, message=NOT_APPLICABLE_MESSAGE)
    return coupon


def coupon_discount(*, coupon: Coupon, subtotal: Decimal) -> Decimal:
    """What the coupon takes off `subtotal`: a percent of it (rounded half up to cents),
    or the fixed amount, never more than the subtotal. Raises nothing."""
    if coupon.kind == CouponKind.PERCENT:
        discount = quantize_money(subtotal * coupon.value / Decimal(100))
    else:
        discount = quantize_money(coupon.value)
    return min(discount, quantize_money(subtotal))


# --- checkout and cancel ------------------------------------------------------------------


@transaction.atomic
def coupon_claim(
    *, coupon: Coupon, user, subtotal: Decimal, currency: str, field: str = "coupon"
) -> tuple[Coupon, Decimal]:
    """Count one use of the coupon by `user` at checkout and return (the coupon as it is
    now, its discount on `subtotal`). Raises CouponUsedUp (409: no use left) or
    CouponNotApplicable (400 on `field`: any other rule).

    Call it inside the checkout's transaction and record the use there with
    coupon_redemption_create: a refusal raised here, or later in the checkout, rolls the
    counted use back with everything else."""
    # The limit is checked and the use counted in ONE conditional UPDATE: it can never
    # pass the limit, whatever runs concurrently, and it locks the coupon row until
    # commit. Checking times_used first and then writing it would let two checkouts both
    # take the last use.
    counted = (
        Coupon.objects.filter(pk=coupon.pk, is_active=True)
        .filter(Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")))
        .update(times_used=F("times_used") + 1)
    )
    current = Coupon.objects.filter(pk=coupon.pk).first()
    if not counted:
        if current is None or not current.is_active:
            code = current.code if current else coupon.code
            raise CouponNotApplicable(
                reason=INACTIVE, message=f"The coupon {code} is not active.", field=field
            )
        raise CouponUsedUp(f"The coupon {current.code} has reached its usage limit.")
    assert current is not None  # the UPDATE above counted its row, locked until commit
    # Read under the row lock just taken: the rules below see the coupon as staff last
    # saved it. The per-user count is made here too, so two checkouts of one user
    # serialize on the lock and the second one counts the first one's redemption.
    problem = _rules_problem(
        coupon=current, subtotal=subtotal, currency=currency, at=timezone.now()
    ) or _per_user_problem(coupon=current, user=user)
    if problem is not None:
        raise CouponNotApplicable(reason=problem.reason, message=problem.message, field=field)
    return current, coupon_discount(coupon=current, subtotal=subtotal)


@transaction.atomic
def coupon_redemption_create(*, coupon: Coupon, user, order, amount: Decimal) -> CouponRedemption:
    """Record the use counted by coupon_claim for `order`. Raises nothing."""
    return CouponRedemption.objects.create(coupon=coupon, user=user, order=order, amount=amount)


@transaction.atomic
def coupon_release(*, order) -> bool:
    """Give back the coupon use of a cancelled or expired order: delete its redemption and
    uncount the use. Returns whether the order had one. Raises nothing."""
    redemption = CouponRedemption.objects.select_for_update().filter(order=order).first()
    if redemption is None:
        return False
    redemption.delete()
    # The guard keeps times_used from going below zero should staff have edited it.
    Coupon.objects.filter(pk=redemption.coupon_id, times_used__gt=0).update(
        times_used=F("times_used") - 1
    )
    return True


# --- staff writes -------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    return code.strip().upper()


def coupon_rule_errors(*, coupon: Coupon) -> dict[str, list[str]]:
    """The field errors of a coupon about to be saved (the admin form asks too)."""
    errors: dict[str, list[str]] = {}
    if coupon.code and coupon_code_taken(code=coupon.code, exclude_id=coupon.pk):
        errors["code"] = [CODE_TAKEN]
    if coupon.value is not None:
        if coupon.value <= 0:
            errors["value"] = ["The value must be greater than zero."]
        elif coupon.kind == CouponKind.PERCENT and coupon.value > 100:
            errors["value"] = ["A percent coupon takes at most 100 percent off."]
    if coupon.min_subtotal is not None and coupon.min_subtotal < 0:
        errors["min_subtotal"] = ["The minimum subtotal cannot be negative."]
    if coupon.valid_from and coupon.valid_until and coupon.valid_until <= coupon.valid_from:
        errors["valid_until"] = ["The coupon must stop being valid after it starts."]
    if coupon.usage_limit is not None and coupon.usage_limit < coupon.times_used:
        errors["usage_limit"] = [
            f"The coupon was already used {coupon.times_used} times; the limit cannot be lower."
        ]
    return errors


def _is_code_clash(exc: IntegrityError) -> bool:
    text = str(exc).lower()
    # PostgreSQL names the violated index; SQLite names the column or the index.
    return any(
        name in text
        for name in ("coupons_code_ci_unique", "coupons_coupon_code", "coupons_coupon.code")
    )


def _save(coupon: Coupon, *, update_fields: list[str] | None = None) -> None:
    errors = coupon_rule_errors(coupon=coupon)
    if errors:
        raise BusinessValidationError(errors)
    # Uniqueness and the check constraints were just checked with field errors.
    coupon.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            coupon.save(update_fields=update_fields)
    except IntegrityError as exc:
        # Another writer got there between the checks above and this save.
        if _is_code_clash(exc):
            raise BusinessValidationError({"code": [CODE_TAKEN]}) from None
        raise Conflict("The coupon changed concurrently; please retry.") from None


@transaction.atomic
def coupon_create(**data: Any) -> Coupon:
    """Create a coupon (code stored upper-case); raises BusinessValidationError (code
    taken in any case, percent over 100, window backwards, ...) and ValidationError."""
    unknown = set(data) - set(COUPON_WRITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not writable: {', '.join(sorted(unknown))}")
    coupon = Coupon(**data)
    coupon.code = normalize_code(coupon.code)
    _save(coupon)
    return coupon


@transaction.atomic
def coupon_update(*, coupon: Coupon, data: dict[str, Any]) -> Coupon:
    """Change a coupon's writable fields; raises BusinessValidationError (as
    coupon_create, and a usage limit below the uses counted so far) and Conflict."""
    # Locked and read again: times_used is current (the usage-limit rule compares with
    # it), and a checkout counting a use meanwhile waits instead of being overwritten.
    coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
    changed = [field for field in COUPON_WRITABLE_FIELDS if field in data]
    for field in changed:
        setattr(coupon, field, data[field])
    if "code" in data:
        coupon.code = normalize_code(coupon.code)
    _save(coupon, update_fields=[*changed, "updated_at"])
    return coupon


@transaction.atomic
def coupon_delete(*, coupon: Coupon) -> None:
    """Delete a coupon no order used (carts holding it drop it); raises Conflict when
    orders used it (their redemptions keep it: deactivate it instead)."""
    try:
        with transaction.atomic():
            coupon.delete()
    except ProtectedError:
        raise Conflict(COUPON_USED) from None
