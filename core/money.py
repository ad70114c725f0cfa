from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from core.exceptions import BusinessValidationError

CENT = Decimal("0.01")
# Every money column (prices, order and payment amounts) is DECIMAL(12, 2).
MONEY_MAX_DIGITS = 12
MONEY_DECIMAL_PLACES = 2
MONEY_MAX = Decimal("9999999999.99")


def quantize_money(value: Decimal | int | str) -> Decimal:
    """Round an amount to two places, half up, the one way money is rounded here."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_fits(value: Decimal) -> bool:
    """Whether an amount can be stored in a money column (at most MONEY_MAX)."""
    return abs(value) <= MONEY_MAX


# https://docs.stripe.com/currencies#zero-decimal: amounts are whole units, not cents.
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
# https://docs.stripe.com/currencies#three-decimal: thousandths, last digit 0.
THREE_DECIMAL_CURRENCIES = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def to_minor_units(amount: Decimal, currency: str) -> int:
    """`amount` in the smallest unit Stripe expects for `currency`. Raises
    BusinessValidationError when it cannot be expressed exactly (e.g. 10.50 JPY)."""
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        factor = 1
    elif code in THREE_DECIMAL_CURRENCIES:
        factor = 1000
    else:
        factor = 100
    minor = amount * factor
    if minor != minor.to_integral_value():
        raise BusinessValidationError(
            f"{amount} {code} cannot be charged: {code} has no fractional units."
        )
    return int(minor)


def split_amount(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights`, to the cent, the parts adding up to it
    exactly: each part is rounded down, then the cents left over go one each to the parts
    that lost most in rounding (ties: the earlier part). All weights zero: nothing is
    split (every part 0, only when total is 0; otherwise the first part takes it all)."""
    total = quantize_money(total)
    weight_sum = sum(weights, Decimal(0))
    if not weights:
        return []
    if weight_sum <= 0:
        return [total] + [Decimal("0.00")] * (len(weights) - 1)
    exact = [total * weight / weight_sum for weight in weights]
    parts = [value.quantize(CENT, rounding=ROUND_DOWN) for value in exact]
    left = int((total - sum(parts, Decimal(0))) / CENT)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for index in order[:left]:
        parts[index] += CENT
    return parts
