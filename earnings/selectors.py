"""Reads of earnings: the commission schedule, balances and ledgers."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Category
from core.money import quantize_money
from earnings.models import CommissionRule, LedgerEntry, LedgerEntryKind, Payout

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CommissionSchedule:
    """Every commission rule and the category tree, read once (both tables are small), so
    that pricing a whole order costs two queries whatever its number of lines."""

    by_store_category: dict[tuple[UUID, UUID], Decimal]
    by_store: dict[UUID, Decimal]
    by_category: dict[UUID, Decimal]
    parents: dict[UUID, UUID | None]
    default: Decimal

    def _chain(self, category_id: UUID | None) -> list[UUID]:
        """The category and its ancestors, nearest first (stops on a cycle)."""
        chain: list[UUID] = []
        current = category_id
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def rate_for(self, *, store_id: UUID | None, category_id: UUID | None) -> Decimal:
        """The rate of the most specific rule: store and category (the nearest category up
        the tree), then store, then category (nearest first), then the default."""
        chain = self._chain(category_id)
        if store_id is not None:  # a rule of a store and a category names both
            for category in chain:
                rate = self.by_store_category.get((store_id, category))
                if rate is not None:
                    return rate
        if store_id in self.by_store:
            return self.by_store[store_id]
        for category in chain:
            if category in self.by_category:
                return self.by_category[category]
        return self.default


def commission_schedule() -> CommissionSchedule:
    by_store_category, by_store, by_category = {}, {}, {}
    for store_id, category_id, rate in CommissionRule.objects.values_list(
        "store_id", "category_id", "rate"
    ):
        if store_id and category_id:
            by_store_category[(store_id, category_id)] = rate
        elif store_id:
            by_store[store_id] = rate
        else:
            by_category[category_id] = rate
    return CommissionSchedule(
        by_store_category=by_store_category,
        by_store=by_store,
        by_category=by_category,
        parents=dict(Category.objects.values_list("id", "parent_id")),
        default=quantize_money(settings.PLATFORM_COMMISSION_PERCENT),
    )


def commission_rule_list() -> QuerySet[CommissionRule]:
    return CommissionRule.objects.select_related("store", "category").order_by("-created_at", "id")


# --- balances ---------------------------------------------------------------------------


def payout_hold() -> timedelta:
    return timedelta(days=settings.SELLER_PAYOUT_HOLD_DAYS)


def matured_q(*, at=None) -> Q:
    """Entries whose money is available: payouts and adjustments at once, a fulfilment's
    entries once it was delivered SELLER_PAYOUT_HOLD_DAYS ago."""
    cutoff = (at or timezone.now()) - payout_hold()
    return Q(fulfilment__isnull=True) | Q(fulfilment__delivered_at__lte=cutoff)


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: Decimal
    available: Decimal
    paid_out: Decimal

    @property
    def total(self) -> Decimal:
        return self.pending + self.available


def store_balances(*, store_id: UUID, at=None) -> list[Balance]:
    """The store's balance per currency, from its ledger entries in one query: pending
    (not matured yet), available (the rest, payouts already taken out) and paid out
    (payouts less the failed ones given back)."""
    rows = (
        LedgerEntry.objects.filter(store_id=store_id)
        .values("currency")
        .annotate(
            total=Coalesce(Sum("amount"), ZERO),
            pending=Coalesce(Sum("amount", filter=~matured_q(at=at)), ZERO),
            payouts=Coalesce(Sum("amount", filter=Q(kind=LedgerEntryKind.PAYOUT)), ZERO),
        )
        .order_by("currency")
    )
    return [
        Balance(
            currency=row["currency"],
            pending=row["pending"],
            available=row["total"] - row["pending"],
            paid_out=-row["payouts"],
        )
        for row in rows
    ]


def store_available(*, store_id: UUID, currency: str, at=None) -> Decimal:
    """What the store may be paid now in `currency`: matured entries, payouts included."""
    return LedgerEntry.objects.filter(
        matured_q(at=at), store_id=store_id, currency=currency
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]


def ledger_list_for(*, store_id: UUID) -> QuerySet[LedgerEntry]:
    """The store's entries, newest first, with what a row shows joined."""
    return (
        LedgerEntry.objects.filter(store_id=store_id)
        .select_related("fulfilment", "payout")
        .order_by("-created_at", "-id")
    )


def payout_list_for(*, store_id: UUID | None = None) -> QuerySet[Payout]:
    """Payouts of one store (None: every store, for staff), newest first."""
    payouts = Payout.objects.select_related("store").order_by("-created_at", "-id")
    return payouts if store_id is None else payouts.filter(store_id=store_id)


def payout_minimum() -> Decimal:
    """The smallest payout (SELLER_PAYOUT_MINIMUM, and never zero)."""
    return max(quantize_money(settings.SELLER_PAYOUT_MINIMUM), Decimal("0.01"))


def stores_with_available_money(*, at=None) -> list[tuple[UUID, str]]:
    """(store, currency) pairs whose available balance reaches the payout minimum."""
    minimum = payout_minimum()
    rows = (
        LedgerEntry.objects.filter(matured_q(at=at))
        .values("store_id", "currency")
        .annotate(total=Sum("amount"))
        .filter(total__gte=minimum)
        .order_by("store_id", "currency")
    )
    return [(row["store_id"], row["currency"]) for row in rows]
