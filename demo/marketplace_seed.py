"""The marketplace side of the demo's past orders: each order split into one part per
store (fulfilments, in every status), the commission of each line, the stores' ledger
entries (sales, refunds, commission given back) and a few payouts already paid.

Like the rest of the history these rows are written directly, as checkout, the sellers'
actions and the payout run would have left them: the same arithmetic (split_amount for
the coupon's shares and refunds, commission_amount for each line, the ledger's reversal
rule), so the balances they add up to are the balances the services would show.
"""

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from core.money import quantize_money, split_amount
from demo.rows import create_missing, demo_id
from earnings.models import LedgerEntry, LedgerEntryKind, Payout, PayoutStatus
from earnings.selectors import CommissionSchedule, payout_minimum, store_available
from earnings.services import commission_amount
from orders.models import Fulfilment, FulfilmentStatus, OrderStatus
from stores.models import Store

ZERO = Decimal("0.00")
# How many stores have been paid out already (the ones with the most to pay).
PAID_OUT_STORES = 3

# The status every part of an order in this status has (exceptions: _vary).
_PART_STATUS = {
    OrderStatus.PENDING: FulfilmentStatus.PENDING,
    OrderStatus.PAID: FulfilmentStatus.PAID,
    OrderStatus.SHIPPED: FulfilmentStatus.SHIPPED,
    OrderStatus.DELIVERED: FulfilmentStatus.DELIVERED,
    OrderStatus.CANCELLED: FulfilmentStatus.CANCELLED,
}


@dataclass
class Part:
    """One store's part of a planned order."""

    id: uuid.UUID
    store_id: uuid.UUID
    lines: list = field(default_factory=list)  # (position, line, rate, commission)
    subtotal: Decimal = ZERO
    share: Decimal = ZERO
    commission: Decimal = ZERO
    status: str = FulfilmentStatus.PENDING
    refunded: Decimal = ZERO
    stamps: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.share


def parts_plan(
    *, number: int, lines: list, discount: Decimal, schedule: CommissionSchedule
) -> list[Part]:
    """The order's lines grouped by store, each line with its commission, and the coupon
    shared across the parts in proportion to their line totals (as checkout does)."""
    by_store: dict = defaultdict(list)
    for position, line in enumerate(lines):
        by_store[line.product.store_id].append((position, line))
    parts = []
    for store_id in sorted(by_store, key=str):
        part = Part(id=demo_id("order", number, "part", store_id), store_id=store_id)
        for position, line in by_store[store_id]:
            rate = schedule.rate_for(store_id=store_id, category_id=line.product.category_id)
            amount = commission_amount(line_total=line.line_total, rate=rate)
            part.lines.append((position, line, rate, amount))
            part.subtotal += line.line_total
            part.commission += amount
        parts.append(part)
    subtotal = sum((p.subtotal for p in parts), ZERO)
    shares = split_amount(min(discount, subtotal), [p.subtotal for p in parts])
    for part, share in zip(parts, shares, strict=True):
        part.share = share
    return parts


def parts_stamp(
    *, parts: list[Part], status: str, stamps: dict, refunded: Decimal, rng: random.Random, now
) -> Decimal:
    """Give each part its status and timestamps from the order's, with some variety
    (a part shipped or delivered before the others, a part its store cancelled), and
    spread the order's refund over them. Returns the refund the order's payment made."""

    def after(moment: datetime, **delta) -> datetime:
        return min(moment + timedelta(**delta), now)

    for part in parts:
        part.status = _PART_STATUS[status]
        part.stamps = {
            name: stamps[name]
            for name in ("paid", "shipped", "delivered", "cancelled")
            if name in stamps
        }
    several = len(parts) > 1
    roll = rng.random()
    first = parts[0]
    if status == OrderStatus.PAID and several and roll < 0.3 and first.total > 0:
        # The store could not serve its part: cancelled and refunded, the rest to ship.
        first.status = FulfilmentStatus.CANCELLED
        first.stamps["cancelled"] = after(stamps["paid"], hours=rng.uniform(2, 20))
        first.refunded = first.total
        return first.total
    if status == OrderStatus.PAID and several and roll < 0.6:
        first.status = FulfilmentStatus.SHIPPED
        first.stamps["shipped"] = after(stamps["paid"], hours=rng.uniform(3, 20))
    if status == OrderStatus.SHIPPED and several and roll < 0.4:
        first.status = FulfilmentStatus.DELIVERED
        first.stamps["delivered"] = after(stamps["shipped"], hours=rng.uniform(20, 40))
    if refunded:
        live = [p for p in parts if p.total > 0]
        for part, share in zip(live, split_amount(refunded, [p.total for p in live]), strict=True):
            part.refunded = share
    return refunded


def fulfilment_rows(*, order, parts: list[Part], currency: str) -> list[Fulfilment]:
    rows = []
    for part in parts:
        fulfilment = Fulfilment(
            id=part.id,
            order=order,
            store_id=part.store_id,
            status=part.status,
            currency=currency,
            subtotal=part.subtotal,
            discount_share=part.share,
            total=part.total,
            commission=part.commission,
            refunded=part.refunded,
            tracking_number=f"DEMO{part.id.hex[:10].upper()}" if "shipped" in part.stamps else "",
            carrier=order.carrier if "shipped" in part.stamps else "",
            paid_at=part.stamps.get("paid"),
            shipped_at=part.stamps.get("shipped"),
            delivered_at=part.stamps.get("delivered"),
            cancelled_at=part.stamps.get("cancelled"),
            cancel_reason="Out of stock at the store"
            if part.status == FulfilmentStatus.CANCELLED and order.status != OrderStatus.CANCELLED
            else order.cancel_reason
            if part.status == FulfilmentStatus.CANCELLED
            else "",
        )
        fulfilment.created_at = order.created_at
        fulfilment.updated_at = max(part.stamps.values(), default=order.created_at)
        rows.append(fulfilment)
    return rows


def ledger_rows(*, parts: list[Part], currency: str, refund_at) -> list[LedgerEntry]:
    """What the ledger holds for these parts: a sale for each part that was paid, and for
    each refunded part the refund and the commission given back (in full for a cancelled
    part, in proportion otherwise), as earnings.services writes them."""
    rows = []

    def entry(part: Part, kind: str, amount: Decimal, at, description: str) -> None:
        if not amount:
            return
        row = LedgerEntry(
            id=demo_id("ledger", part.id, kind),
            store_id=part.store_id,
            currency=currency,
            kind=kind,
            amount=amount,
            fulfilment_id=part.id,
            description=description,
        )
        row.created_at = row.updated_at = at
        rows.append(row)

    for part in parts:
        if "paid" not in part.stamps:
            continue
        label = f"Order {part.id}"
        entry(
            part, LedgerEntryKind.SALE, part.subtotal - part.commission, part.stamps["paid"], label
        )
        if not part.refunded:
            continue
        if part.status == FulfilmentStatus.CANCELLED or part.refunded >= part.total:
            gross, commission = part.subtotal, part.commission
        else:
            ratio = part.refunded / part.total
            gross = quantize_money(part.subtotal * ratio)
            commission = quantize_money(part.commission * ratio)
        at = part.stamps.get("cancelled") or refund_at
        entry(part, LedgerEntryKind.REFUND, -gross, at, label)
        entry(part, LedgerEntryKind.COMMISSION_REVERSAL, commission, at, label)
    return rows


def payouts_ensure() -> int:
    """The stores with the most money available have been paid it once already (a paid
    payout and its ledger entry, yesterday); returns how many payouts were created."""
    stores = list(Store.objects.exclude(payout_account_id="").order_by("slug"))
    planned = [demo_id("payout", s.slug, c) for s in stores for c in ("USD", "EUR")]
    if Payout.objects.filter(pk__in=planned).exists():
        return 0  # paid out on an earlier run: what is available now stays for the next run
    minimum = payout_minimum()
    yesterday = timezone.now() - timedelta(days=1)
    candidates = []
    for store in stores:
        for currency in ("USD", "EUR"):
            available = store_available(store_id=store.pk, currency=currency)
            if available >= minimum:
                candidates.append((available, store, currency))
    candidates.sort(key=lambda c: (-c[0], c[1].slug))
    payouts, entries = [], []
    for available, store, currency in candidates[:PAID_OUT_STORES]:
        payout = Payout(
            id=demo_id("payout", store.slug, currency),
            store=store,
            currency=currency,
            amount=available,
            status=PayoutStatus.PAID,
            provider="fake",
            destination=store.payout_account_id,
            provider_reference=f"fake_tr_{demo_id('transfer', store.slug).hex[:16]}",
            attempts=1,
            paid_at=yesterday,
        )
        payout.created_at = payout.updated_at = yesterday
        entry = LedgerEntry(
            id=demo_id("ledger", "payout", store.slug, currency),
            store=store,
            currency=currency,
            kind=LedgerEntryKind.PAYOUT,
            amount=-available,
            payout=payout,
            description=f"Payout {payout.id}",
        )
        entry.created_at = entry.updated_at = yesterday
        payouts.append(payout)
        entries.append(entry)
    created = create_missing(Payout, payouts)
    create_missing(LedgerEntry, [e for e in entries if e.payout_id in created])
    return len(created)
