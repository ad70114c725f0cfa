from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def quantize_money(value: Decimal | int | str) -> Decimal:
    """Round an amount to two places, half up, the one way money is rounded here."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
