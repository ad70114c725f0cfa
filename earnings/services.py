"""Commission rules, the seller ledger and payouts.

Every ledger write of a store takes that store's row lock first (FOR NO KEY UPDATE, after
any order, fulfilment or product lock the caller holds), so concurrent sales, refunds and
payouts of one store run one after the other and a payout can never take more than what
the entries add up to. Provider calls (transfers) never run while that lock is held: the
payout and its ledger entry are committed first, then the transfer is sent with an
idempotency key derived from the payout, then the outcome is recorded.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import BusinessValidationError, Conflict
from core.money import quantize_money
from earnings.models import (
    CommissionRule,
    LedgerEntry,
    LedgerEntryKind,
    Payout,
    PayoutEvent,
    PayoutStatus,
)
from earnings.providers import (
    PayoutFailed,
    PayoutProviderEvent,
    PayoutProviderUnavailable,
    payout_provider,
)
from earnings.selectors import payout_minimum, store_available, stores_with_available_money
from orders.models import Fulfilment
from stores.models import Store

logger = logging.getLogger(__name__)

HUNDRED = Decimal("100")


def commission_amount(*, line_total: Decimal, rate: Decimal) -> Decimal:
    """The commission on a line: `rate` percent of its total, to the cent, half up (the one
    way a commission is rounded)."""
    return quantize_money(line_total * rate / HUNDRED)


def _lock_store(store_id: UUID) -> None:
    # NO KEY: inserting rows that reference the store (entries, payouts) takes KEY SHARE,
    # which this does not block, so two writers cannot deadlock on it.
    Store.objects.select_for_update(no_key=True).filter(pk=store_id).values_list("pk").first()


# --- commission rules -------------------------------------------------------------------


def _save_rule(rule: CommissionRule) -> CommissionRule:
    rule.rate = quantize_money(rule.rate)
    if not Decimal(0) <= rule.rate <= HUNDRED:
        raise BusinessValidationError({"rate": [_("The rate is a percent from 0 to 100.")]})
    if rule.store_id is None and rule.category_id is None:
        raise BusinessValidationError(
            {"non_field_errors": [_("Name a store, a category or both.")]}
        )
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise Conflict(_("A rule for this store and category exists; change that one.")) from None
    return rule


@transaction.atomic
def commission_rule_create(
    *, rate: Decimal, store: Store | None = None, category=None, note: str = ""
) -> CommissionRule:
    """A rule for future sales. Raises BusinessValidationError (rate, no scope), Conflict
    (a rule for the same scope exists)."""
    return _save_rule(CommissionRule(rate=rate, store=store, category=category, note=note))


@transaction.atomic
def commission_rule_update(*, rule: CommissionRule, data: dict) -> CommissionRule:
    """Change a rule; sales already made keep their rate. Raises what create raises."""
    for name in ("rate", "store", "category", "note"):
        if name in data:
            setattr(rule, name, data[name])
    return _save_rule(rule)


@transaction.atomic
def commission_rule_delete(*, rule: CommissionRule) -> None:
    """Remove a rule; its scope falls back to the next rule. Raises nothing."""
    rule.delete()


# --- the ledger -------------------------------------------------------------------------


def _entry(*, fulfilment: Fulfilment, kind: str, amount: Decimal, description: str) -> None:
    if amount:
        LedgerEntry.objects.create(
            store_id=fulfilment.store_id,
            currency=fulfilment.currency,
            kind=kind,
            amount=amount,
            fulfilment=fulfilment,
            description=description[:255],
        )


@transaction.atomic
def ledger_record_sale(*, fulfilment: Fulfilment) -> bool:
    """Credit the store with its earnings of a paid fulfilment: its line totals (before the
    coupon, which the platform pays) less the commission. Recorded once per fulfilment;
    returns False when it already was. Raises nothing."""
    _lock_store(fulfilment.store_id)
    if LedgerEntry.objects.filter(fulfilment=fulfilment, kind=LedgerEntryKind.SALE).exists():
        return False
    net = fulfilment.subtotal - fulfilment.commission
    if net == 0:
        return False  # a free line earns nothing; there is nothing to record
    _entry(
        fulfilment=fulfilment,
        kind=LedgerEntryKind.SALE,
        amount=net,
        description=f"Order {fulfilment.order_id}",
    )
    return True


def _reversed_so_far(fulfilment: Fulfilment) -> tuple[Decimal, Decimal]:
    """(gross taken back, commission given back) by earlier refund entries."""
    gross = commission = Decimal("0.00")
    for kind, amount in LedgerEntry.objects.filter(
        fulfilment=fulfilment,
        kind__in=[LedgerEntryKind.REFUND, LedgerEntryKind.COMMISSION_REVERSAL],
    ).values_list("kind", "amount"):
        if kind == LedgerEntryKind.REFUND:
            gross -= amount
        else:
            commission += amount
    return gross, commission


@transaction.atomic
def ledger_record_refund(*, fulfilment: Fulfilment, reason: str = "", full: bool = False) -> None:
    """Take back from the store what the buyer got back for this fulfilment so far (its
    `refunded`, already increased by the caller), and give back the matching commission.
    The shares are computed on the cumulative refund and the earlier entries subtracted,
    so partial refunds add up to the cent and a full refund reverses the sale exactly;
    `full` reverses it whatever was paid (a cancelled fulfilment). Only a fulfilment that
    was earned (has a sale entry) is reversed. Raises nothing."""
    _lock_store(fulfilment.store_id)
    if not LedgerEntry.objects.filter(fulfilment=fulfilment, kind=LedgerEntryKind.SALE).exists():
        return
    if full or fulfilment.refunded >= fulfilment.total:
        gross_target, commission_target = fulfilment.subtotal, fulfilment.commission
    else:
        share = fulfilment.refunded / fulfilment.total
        gross_target = quantize_money(fulfilment.subtotal * share)
        commission_target = quantize_money(fulfilment.commission * share)
    gross_done, commission_done = _reversed_so_far(fulfilment)
    label = reason or f"Order {fulfilment.order_id}"
    _entry(
        fulfilment=fulfilment,
        kind=LedgerEntryKind.REFUND,
        amount=-(gross_target - gross_done),
        description=label,
    )
    _entry(
        fulfilment=fulfilment,
        kind=LedgerEntryKind.COMMISSION_REVERSAL,
        amount=commission_target - commission_done,
        description=label,
    )


@transaction.atomic
def ledger_adjust(
    *, store: Store, currency: str, amount: Decimal, reason: str, by=None
) -> LedgerEntry:
    """A staff correction of a store's balance, available at once. Raises
    BusinessValidationError (zero or more than two places, no reason)."""
    errors = {}
    if amount == 0 or amount != quantize_money(amount):
        errors["amount"] = [_("A non-zero amount with at most two decimals.")]
    if not reason.strip():
        errors["reason"] = [_("Say why; the store sees it in its ledger.")]
    if errors:
        raise BusinessValidationError(errors)
    _lock_store(store.pk)
    return LedgerEntry.objects.create(
        store=store,
        currency=currency.upper(),
        kind=LedgerEntryKind.ADJUSTMENT,
        amount=amount,
        description=reason.strip()[:255],
        created_by=by if getattr(by, "pk", None) else None,
    )


# --- payouts ----------------------------------------------------------------------------


def _idempotency_key(payout: Payout) -> str:
    return f"payout-{payout.pk}"


@transaction.atomic
def payout_open(*, store_id: UUID, currency: str) -> Payout | None:
    """Take the store's available balance in `currency` into a new processing payout,
    with the ledger entry that removes it, under the store's lock; None when the store
    already has a payout in flight, nothing reaching the minimum, or no payout account.
    Raises nothing."""
    _lock_store(store_id)
    store = Store.objects.get(pk=store_id)
    if Payout.objects.filter(store_id=store_id, status=PayoutStatus.PROCESSING).exists():
        return None
    # Read under the lock: no sale, refund or other payout of the store can change it now.
    available = store_available(store_id=store_id, currency=currency)
    if available < payout_minimum():
        return None
    provider = payout_provider()
    destination = store.payout_account_id
    if not destination:
        logger.info("Store %s has money to pay out but no payout account", store_id)
        return None
    payout = Payout.objects.create(
        store_id=store_id,
        currency=currency,
        amount=available,
        provider=provider.name,
        destination=destination,
    )
    LedgerEntry.objects.create(
        store_id=store_id,
        currency=currency,
        kind=LedgerEntryKind.PAYOUT,
        amount=-available,
        payout=payout,
        description=f"Payout {payout.pk}",
    )
    return payout


@transaction.atomic
def payout_mark_paid(*, payout: Payout, reference: str = "") -> Payout:
    """processing -> paid; anything else is left as it is. Raises nothing."""
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status != PayoutStatus.PROCESSING:
        return payout
    payout.status = PayoutStatus.PAID
    payout.paid_at = timezone.now()
    payout.provider_reference = reference or payout.provider_reference
    payout.save(update_fields=["status", "paid_at", "provider_reference", "updated_at"])
    return payout


@transaction.atomic
def payout_mark_failed(*, payout: Payout, reason: str) -> Payout:
    """processing or paid -> failed (a paid transfer can be reversed later), giving its
    amount back to the available balance with a ledger entry, once. Raises nothing."""
    _lock_store(payout.store_id)
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status == PayoutStatus.FAILED:
        return payout
    payout.status = PayoutStatus.FAILED
    payout.failed_at = timezone.now()
    payout.failure_reason = reason[:255]
    payout.save(update_fields=["status", "failed_at", "failure_reason", "updated_at"])
    LedgerEntry.objects.create(
        store_id=payout.store_id,
        currency=payout.currency,
        kind=LedgerEntryKind.PAYOUT,
        amount=payout.amount,
        payout=payout,
        description=f"Payout {payout.pk} failed: {reason}"[:255],
    )
    return payout


def payout_send(*, payout: Payout) -> Payout:
    """Send a processing payout through its provider, outside any lock, with the
    idempotency key of the payout (a resend after a crash or a timeout cannot pay twice),
    and record the outcome. Raises nothing: a provider that cannot be reached leaves the
    payout processing for the next run."""
    Payout.objects.filter(pk=payout.pk).update(attempts=payout.attempts + 1)
    provider = payout_provider(payout.provider)
    try:
        reference = provider.transfer(payout=payout, idempotency_key=_idempotency_key(payout))
    except PayoutFailed as exc:
        return payout_mark_failed(payout=payout, reason=exc.reason)
    except PayoutProviderUnavailable:
        logger.warning("Payout %s could not be sent; it is retried next run", payout.pk)
        return Payout.objects.get(pk=payout.pk)
    return payout_mark_paid(payout=payout, reference=reference)


@dataclass
class PayoutRun:
    """What one run did."""

    opened: list[Payout] = field(default_factory=list)
    resent: list[Payout] = field(default_factory=list)
    paid: int = 0
    failed: int = 0
    still_processing: int = 0


def payouts_run() -> PayoutRun:
    """Pay every store its available balance at or above SELLER_PAYOUT_MINIMUM, per
    currency: payouts left processing by an earlier run are sent again first (same
    idempotency key), then new ones are opened and sent. Two runs at once pay each store
    once: opening a payout takes the store's lock and finds the other run's payout in
    flight (and a unique index allows one per store). Raises nothing."""
    run = PayoutRun()
    for payout in Payout.objects.filter(status=PayoutStatus.PROCESSING).order_by("created_at"):
        run.resent.append(payout)
    for store_id, currency in stores_with_available_money():
        opened: Payout | None
        try:
            opened = payout_open(store_id=store_id, currency=currency)
        except IntegrityError:  # another run opened this store's payout a moment ago
            opened = None
        if opened is not None:
            run.opened.append(opened)
    for payout in [*run.resent, *run.opened]:
        sent = payout_send(payout=payout)
        if sent.status == PayoutStatus.PAID:
            run.paid += 1
        elif sent.status == PayoutStatus.FAILED:
            run.failed += 1
        else:
            run.still_processing += 1
    return run


# --- provider webhooks ------------------------------------------------------------------


def _payout_for_event(event: PayoutProviderEvent) -> Payout | None:
    reference = str(event.data.get("id") or "")
    if reference:
        payout = Payout.objects.filter(provider_reference=reference).first()
        if payout is not None:
            return payout
    metadata = event.data.get("metadata")
    payout_id = metadata.get("payout_id") if isinstance(metadata, dict) else None
    try:
        return Payout.objects.filter(pk=UUID(str(payout_id))).first()
    except ValueError:
        return None


@transaction.atomic
def payout_event_apply(*, provider: str, event: PayoutProviderEvent) -> bool:
    """Apply a verified payout event once; returns False for a replay. `transfer.created`
    confirms a payout, `transfer.reversed` (and a failed transfer) gives its amount back;
    other types (e.g. the connected account's own `payout.*` to its bank) are recorded.
    Raises nothing."""
    try:
        with transaction.atomic():
            PayoutEvent.objects.create(
                provider=provider, event_id=event.id, event_type=event.type, payload=event.payload
            )
    except IntegrityError:
        return False
    payout = _payout_for_event(event) if event.type.startswith("transfer.") else None
    if payout is None:
        return True
    if event.type == "transfer.created":
        payout_mark_paid(payout=payout, reference=str(event.data.get("id") or ""))
    elif event.type == "transfer.reversed" or (
        event.type == "transfer.updated" and event.data.get("reversed") is True
    ):
        payout_mark_failed(payout=payout, reason="transfer_reversed")
    return True


def payout_webhook_receive(*, provider: str, payload: bytes, headers) -> bool:
    """Verify a raw payout webhook and apply it once; returns False for a replay. Raises
    WebhookVerificationError (400), PayoutWebhookNotConfigured (503)."""
    event = payout_provider(provider).parse_webhook(payload=payload, headers=headers)
    return payout_event_apply(provider=provider, event=event)
