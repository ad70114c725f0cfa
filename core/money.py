from decimal import ROUND_HALF_UP, Decimal

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
