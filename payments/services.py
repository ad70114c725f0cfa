"""Payment rules: charging an order once, refunds, and provider webhooks.

Lock order, everywhere: the order row first, then its fulfilment rows, then its payment
row, then (the ledger's) store rows. checkout's cancellations (`order_cancel`,
`fulfilment_cancel` -> `payment_refund`) take them in the same order, so none of them can
deadlock another.

A payment belongs to an order; what it refunds is allocated to the order's fulfilments
(the stores' parts), whose ledgers give back the store's earnings in proportion.
"""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from core import metrics
from core.exceptions import BusinessValidationError, Conflict, DomainError, InvalidTransition
from core.money import quantize_money, split_amount, to_minor_units
from earnings.services import ledger_record_refund, ledger_record_sale
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderStatus
from orders.services import lock_fulfilments, order_mark_paid
from payments.exceptions import ProviderTimeout
from payments.models import REFUNDABLE_STATUSES, Payment, PaymentStatus, Refund, WebhookEvent
from payments.providers import PROVIDER_CLASSES, default_provider_name, get_provider
from payments.providers.base import PaymentProvider
from payments.providers.base import WebhookEvent as ProviderEvent

logger = logging.getLogger(__name__)

# Money has been taken: such a payment is never charged again.
CAPTURED_STATUSES = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)


@dataclass(frozen=True)
class PaymentAttempt:
    """What `payment_create` did: `created` a new payment row, or `timed_out` waiting for
    the provider (the payment stays pending and may be retried)."""

    payment: Payment
    created: bool = False
    timed_out: bool = False


def _provider_for(payment: Payment) -> PaymentProvider:
    # A payment is refunded through the provider that took it, even if that provider has
    # since been removed from PAYMENT_PROVIDERS for new payments.
    return PROVIDER_CLASSES[payment.provider]()


def _order_paid(*, order: Order, payment: Payment) -> Order:
    """The (locked) order is paid by `payment`, which just succeeded: the order and its
    pending fulfilments become paid, each store's earnings are recorded, and a part its
    store cancelled while the order waited for payment is refunded at once (the payment
    took the order's total)."""
    order = order_mark_paid(order=order)
    for fulfilment in lock_fulfilments(order):
        if fulfilment.status == FulfilmentStatus.PAID:
            ledger_record_sale(fulfilment=fulfilment)
        elif fulfilment.status == FulfilmentStatus.CANCELLED and fulfilment.refundable > 0:
            _refund_cancelled_part(payment=payment, fulfilment=fulfilment)
    return order


def _refund_cancelled_part(*, payment: Payment, fulfilment: Fulfilment) -> None:
    try:
        # Savepoint: a refusing provider must not undo the success just recorded.
        with transaction.atomic():
            payment_refund(
                payment=payment,
                amount=fulfilment.refundable,
                reason=f"{fulfilment.store.name} cancelled its part before payment",
                fulfilment=fulfilment,
            )
    except DomainError:
        logger.exception(
            "Refund of cancelled fulfilment %s from payment %s failed", fulfilment.pk, payment.pk
        )
        Payment.objects.filter(pk=payment.pk).update(needs_review=True)


def _payment_succeeded(*, payment: Payment, reference: str = "") -> None:
    payment.status = PaymentStatus.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.failure_reason = ""
    if reference:
        payment.provider_reference = reference
    payment.save(
        update_fields=[
            "status",
            "succeeded_at",
            "failure_reason",
            "provider_reference",
            "updated_at",
        ]
    )


@transaction.atomic
def payment_start(*, user, order_id, provider: str | None = None) -> tuple[Payment, bool]:
    """Get or create the one payment of the caller's order; returns (payment, created).
    Raises Http404 (not the caller's order), BusinessValidationError (provider),
    InvalidTransition (order not pending), Conflict (another provider)."""
    order = Order.objects.select_for_update().filter(pk=order_id, user=user).first()
    if order is None:
        raise Http404("No such order.")
    payment = Payment.objects.select_for_update().filter(order=order).first()
    if payment is not None and payment.status in CAPTURED_STATUSES:
        return payment, False
    if order.status != OrderStatus.PENDING:
        raise InvalidTransition(
            f"An order that is {order.status} cannot be paid.",
            extra={"status": order.status},
        )
    if payment is not None:
        if provider and provider != payment.provider:
            # Switching would leave the first provider's charge (e.g. a Stripe intent the
            # frontend can still confirm) able to take the money a second time.
            raise Conflict(f"This order is already being paid with {payment.provider}.")
        return payment, False
    name = provider or default_provider_name()
    get_provider(name)  # refuses an unknown or disabled provider before anything is written
    payment = Payment.objects.create(
        order=order,
        user=order.user,
        provider=name,
        amount=order.total,
        currency=order.currency,
    )
    return payment, True


@transaction.atomic
def payment_attempt(*, payment: Payment, token: str | None = None) -> PaymentAttempt:
    """Charge a payment that has not succeeded yet, through its provider; success marks the
    order paid. Raises InvalidTransition (order no longer pending), BusinessValidationError
    (token), PaymentProviderError / ProviderNotConfigured (provider)."""
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status in CAPTURED_STATUSES:
        return PaymentAttempt(payment=payment)
    if order.status != OrderStatus.PENDING:
        raise InvalidTransition(
            f"An order that is {order.status} cannot be paid.",
            extra={"status": order.status},
        )
    provider = get_provider(payment.provider)
    try:
        result = provider.create_payment(payment=payment, token=token)
    except ProviderTimeout as exc:
        payment.status = PaymentStatus.PENDING
        payment.failure_reason = exc.reason
        payment.save(update_fields=["status", "failure_reason", "updated_at"])
        metrics.payment_outcome(provider=payment.provider, outcome="timeout")
        return PaymentAttempt(payment=payment, timed_out=True)

    metrics.payment_outcome(provider=payment.provider, outcome=result.status)
    if result.status == PaymentStatus.SUCCEEDED:
        _payment_succeeded(payment=payment, reference=result.reference)
        _order_paid(order=order, payment=payment)
        payment.refresh_from_db()
        return PaymentAttempt(payment=payment)
    payment.status = result.status
    payment.failure_reason = result.failure_reason
    payment.provider_reference = result.reference or payment.provider_reference
    payment.client_secret = result.client_secret or payment.client_secret
    payment.save(
        update_fields=[
            "status",
            "failure_reason",
            "provider_reference",
            "client_secret",
            "updated_at",
        ]
    )
    return PaymentAttempt(payment=payment)


def payment_create(
    *, user, order_id, provider: str | None = None, token: str | None = None
) -> PaymentAttempt:
    """Pay the caller's order once (a retry returns or re-attempts the same payment).
    Raises what payment_start and payment_attempt raise."""
    # Two transactions on purpose: the payment row is committed before the provider is
    # called, so a failed call (502) keeps its id, and the Stripe idempotency key derived
    # from it makes the retry reuse the intent that call may have created.
    payment, created = payment_start(user=user, order_id=order_id, provider=provider)
    if payment.status in CAPTURED_STATUSES:
        return PaymentAttempt(payment=payment, created=created)
    attempt = payment_attempt(payment=payment, token=token)
    return PaymentAttempt(payment=attempt.payment, created=created, timed_out=attempt.timed_out)


def _refund_amount(amount) -> Decimal | None:
    if amount is None:
        return None
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError, TypeError):
        raise BusinessValidationError({"amount": ["A valid number is required."]}) from None
    if not value.is_finite() or value <= 0:
        raise BusinessValidationError({"amount": ["The amount must be greater than zero."]})
    if value != quantize_money(value):
        raise BusinessValidationError({"amount": ["Use at most 2 decimal places."]})
    return quantize_money(value)


def _allocate_refund(*, payment: Payment, value: Decimal, fulfilment: Fulfilment | None) -> None:
    """Give `value` back against the order's fulfilments (locked): all of it to
    `fulfilment` when named, otherwise to every part in proportion to what is still
    refundable of it, to the cent; each store's ledger follows. Orders placed before
    stores existed have no fulfilments and nothing to allocate."""
    parts = lock_fulfilments(payment.order)
    if fulfilment is not None:
        parts = [part for part in parts if part.pk == fulfilment.pk]
        shares = [value]
    else:
        parts = [part for part in parts if part.refundable > 0]
        shares = split_amount(
            min(value, sum((p.refundable for p in parts), Decimal(0))),
            [p.refundable for p in parts],
        )
    for part, share in zip(parts, shares, strict=True):
        if not share:
            continue
        part.refunded += share
        part.save(update_fields=["refunded", "updated_at"])
        ledger_record_refund(fulfilment=part, reason=f"Refund of order {part.order_id}")


@transaction.atomic
def payment_refund(
    *,
    payment: Payment,
    amount: Decimal | None = None,
    by=None,
    reason: str = "",
    fulfilment: Fulfilment | None = None,
) -> Refund:
    """Refund `amount` (None: all that is left; of `fulfilment` when one is named) of a
    succeeded payment; the stores whose parts it pays back give back their earnings.
    Raises BusinessValidationError (amount <= 0, > 2 places, above what is refundable of
    the payment or of the fulfilment), Conflict (not succeeded or nothing left),
    PaymentProviderError (then nothing changes)."""
    value = _refund_amount(amount)
    Order.objects.select_for_update().filter(pk=payment.order_id).values_list("pk").first()
    if fulfilment is not None:
        fulfilment = Fulfilment.objects.select_for_update().get(
            pk=fulfilment.pk, order_id=payment.order_id
        )
    payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
    if payment.status not in REFUNDABLE_STATUSES:
        raise Conflict(
            f"Only a succeeded payment can be refunded; this one is {payment.status}.",
            extra={"status": payment.status},
        )
    refundable = payment.refundable_amount
    if fulfilment is not None:
        refundable = min(refundable, fulfilment.refundable)
    if refundable <= 0:
        raise Conflict("Nothing is left to refund.")
    if value is None:
        value = refundable
    if value > refundable:
        raise BusinessValidationError(
            {"amount": [f"At most {refundable} {payment.currency} can still be refunded."]}
        )
    reference = _provider_for(payment).refund(payment=payment, amount=value)
    refund = Refund.objects.create(
        payment=payment,
        amount=value,
        reason=reason[:255],
        provider_reference=reference,
        created_by=by if getattr(by, "pk", None) else None,
    )
    payment.amount_refunded += value
    payment.status = (
        PaymentStatus.REFUNDED
        if payment.amount_refunded >= payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["amount_refunded", "status", "updated_at"])
    _allocate_refund(payment=payment, value=value, fulfilment=fulfilment)
    return refund


# --- Webhooks ---------------------------------------------------------------------------


def _payment_for_event(*, provider: str, event: ProviderEvent) -> Payment | None:
    reference = event.data.get("id")
    if reference:
        payment = Payment.objects.filter(provider=provider, provider_reference=reference).first()
        if payment is not None:
            return payment
    metadata = event.data.get("metadata")
    payment_id = metadata.get("payment_id") if isinstance(metadata, dict) else None
    try:
        payment_uuid = uuid.UUID(str(payment_id))
    except ValueError:
        return None
    return Payment.objects.filter(provider=provider, pk=payment_uuid).first()


def _event_matches_payment(*, payment: Payment, event: ProviderEvent) -> bool:
    amount = event.data.get("amount_received")
    if amount is None:
        amount = event.data.get("amount")
    currency = str(event.data.get("currency") or "")
    try:
        expected = to_minor_units(payment.amount, payment.currency)
    except BusinessValidationError:
        return False
    return amount == expected and currency.lower() == payment.currency.lower()


def _apply_succeeded(*, payment: Payment, event: ProviderEvent) -> None:
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status in CAPTURED_STATUSES:
        return  # already known (another event for the same intent)
    if not _event_matches_payment(payment=payment, event=event):
        logger.error("Payment %s: event %s does not match its amount", payment.pk, event.id)
        payment.needs_review = True
        payment.failure_reason = (
            f"amount_mismatch: event {event.data.get('amount_received')} "
            f"{event.data.get('currency')}"
        )[:255]
        payment.save(update_fields=["needs_review", "failure_reason", "updated_at"])
        metrics.payment_outcome(provider=payment.provider, outcome="needs_review")
        return
    _payment_succeeded(payment=payment, reference=str(event.data.get("id") or ""))
    metrics.payment_outcome(provider=payment.provider, outcome="succeeded")
    if order.status == OrderStatus.PENDING:
        _order_paid(order=order, payment=payment)
        return
    if order.status != OrderStatus.CANCELLED:
        # Paid/shipped without this payment: nothing a machine should decide.
        logger.error(
            "Payment %s succeeded for order %s that is %s", payment.pk, order.pk, order.status
        )
        payment.needs_review = True
        payment.save(update_fields=["needs_review", "updated_at"])
        return
    # The order was cancelled (or expired) while the customer paid: keep it cancelled and
    # give the money back; if the provider refuses, staff must act.
    try:
        payment_refund(payment=payment, reason=f"Order {order.status} before payment arrived")
    except DomainError:
        logger.exception("Automatic refund of payment %s failed", payment.pk)
        payment.refresh_from_db()
        payment.needs_review = True
        payment.save(update_fields=["needs_review", "updated_at"])


def _apply_failed(*, payment: Payment, event: ProviderEvent) -> None:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.PENDING:
        return  # a late failure never undoes a success
    error = event.data.get("last_payment_error")
    error = error if isinstance(error, dict) else {}
    payment.status = PaymentStatus.FAILED
    payment.failure_reason = str(
        error.get("decline_code") or error.get("code") or error.get("message") or "payment_failed"
    )[:255]
    payment.save(update_fields=["status", "failure_reason", "updated_at"])
    metrics.payment_outcome(provider=payment.provider, outcome="failed")


_HANDLERS = {
    "payment_intent.succeeded": _apply_succeeded,
    "payment_intent.payment_failed": _apply_failed,
}


@transaction.atomic
def webhook_event_apply(*, provider: str, event: ProviderEvent) -> bool:
    """Apply a verified provider event once; returns False for a replay. Raises nothing
    for unknown types or payments (they are recorded and ignored)."""
    try:
        # Savepoint: a concurrent delivery of the same event waits on the unique index and
        # then fails here, leaving the effect to the first one.
        with transaction.atomic():
            WebhookEvent.objects.create(
                provider=provider, event_id=event.id, event_type=event.type, payload=event.payload
            )
    except IntegrityError:
        return False
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return True
    payment = _payment_for_event(provider=provider, event=event)
    if payment is None:
        logger.warning("%s event %s names no known payment", provider, event.id)
        return True
    handler(payment=payment, event=event)
    return True


def webhook_receive(*, provider: str, payload: bytes, headers) -> bool:
    """Verify a raw webhook and apply it once; returns False for a replay. Raises
    WebhookVerificationError (400), WebhookNotConfigured (503)."""
    # Verification needs no transaction and no provider enabled for new payments: a
    # provider removed from PAYMENT_PROVIDERS still reports on the payments it took.
    event = PROVIDER_CLASSES[provider]().parse_webhook(payload=payload, headers=headers)
    return webhook_event_apply(provider=provider, event=event)
