from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import CategoryFactory
from core.exceptions import BusinessValidationError, Conflict
from earnings import services
from earnings.models import LedgerEntry, LedgerEntryKind, Payout, PayoutStatus
from earnings.providers.fake import DESTINATION_REFUSED, DESTINATION_UNREACHABLE
from earnings.selectors import commission_schedule, store_balances
from orders.tests.factories import FulfilmentFactory
from stores.models import StoreStatus
from stores.tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def balance(store, currency="USD"):
    found = {row.currency: row for row in store_balances(store_id=store.pk)}
    return found.get(currency)


def delivered(days_ago: int, **fields):
    return FulfilmentFactory(
        status="delivered", delivered_at=timezone.now() - timedelta(days=days_ago), **fields
    )


# --- commissions ------------------------------------------------------------------------


def test_commission_is_the_rate_of_the_line_total_rounded_half_up():
    assert services.commission_amount(line_total=Decimal("19.99"), rate=Decimal("12.5")) == (
        Decimal("2.50")  # 2.49875
    )
    assert services.commission_amount(line_total=Decimal("0.05"), rate=Decimal("10")) == (
        Decimal("0.01")  # 0.005 rounds up, not to even
    )
    assert services.commission_amount(line_total=Decimal("10.00"), rate=Decimal("0")) == 0


def test_the_most_specific_commission_rule_wins(settings):
    settings.PLATFORM_COMMISSION_PERCENT = Decimal("10")
    skincare = CategoryFactory()
    serums = CategoryFactory(parent=skincare)
    night_serums = CategoryFactory(parent=serums)
    store, other_store = StoreFactory(), StoreFactory()
    services.commission_rule_create(rate=Decimal("15"), category=skincare)
    services.commission_rule_create(rate=Decimal("12"), store=store)
    services.commission_rule_create(rate=Decimal("8"), store=store, category=skincare)
    services.commission_rule_create(rate=Decimal("6"), store=store, category=serums)

    schedule = commission_schedule()

    def rate(store, category):
        return schedule.rate_for(store_id=store.pk, category_id=category.pk)

    # Store and category, the nearest category up the tree first.
    assert rate(store, night_serums) == Decimal("6.00")
    assert rate(store, skincare) == Decimal("8.00")
    # Store only, for a category without a store rule.
    assert rate(store, CategoryFactory()) == Decimal("12.00")
    # Category only (it covers its subcategories), for another store.
    assert rate(other_store, night_serums) == Decimal("15.00")
    # Nothing applies: the platform default.
    assert rate(other_store, CategoryFactory()) == Decimal("10.00")


def test_a_rule_needs_a_scope_a_valid_rate_and_a_free_scope():
    store = StoreFactory()
    services.commission_rule_create(rate=Decimal("5"), store=store)

    with pytest.raises(BusinessValidationError):
        services.commission_rule_create(rate=Decimal("5"))
    with pytest.raises(BusinessValidationError):
        services.commission_rule_create(rate=Decimal("100.01"), store=StoreFactory())
    with pytest.raises(Conflict):
        services.commission_rule_create(rate=Decimal("7"), store=store)


# --- the ledger -------------------------------------------------------------------------


def test_a_paid_fulfilment_earns_its_line_totals_less_commission_once():
    fulfilment = FulfilmentFactory(
        subtotal=Decimal("100.00"), discount_share=Decimal("20.00"), commission=Decimal("12.50")
    )

    assert services.ledger_record_sale(fulfilment=fulfilment) is True
    assert services.ledger_record_sale(fulfilment=fulfilment) is False

    sale = LedgerEntry.objects.get(fulfilment=fulfilment)
    # The coupon is the platform's: the store earns on the total before it.
    assert (sale.kind, sale.amount) == (LedgerEntryKind.SALE, Decimal("87.50"))


def test_partial_refunds_take_back_proportional_shares_that_add_up_to_the_cent():
    fulfilment = FulfilmentFactory(
        subtotal=Decimal("100.00"), discount_share=Decimal("10.00"), commission=Decimal("10.00")
    )
    services.ledger_record_sale(fulfilment=fulfilment)

    for refunded in (Decimal("30.00"), Decimal("60.00"), Decimal("90.00")):
        fulfilment.refunded = refunded
        services.ledger_record_refund(fulfilment=fulfilment)

    entries = LedgerEntry.objects.filter(fulfilment=fulfilment)
    by_kind = {
        kind: sorted(e.amount for e in entries if e.kind == kind)
        for kind in (LedgerEntryKind.REFUND, LedgerEntryKind.COMMISSION_REVERSAL)
    }
    # A third of what was paid each time: 33.33, then 33.34, then 33.33 of the gross.
    assert sum(by_kind[LedgerEntryKind.REFUND]) == Decimal("-100.00")
    assert sum(by_kind[LedgerEntryKind.COMMISSION_REVERSAL]) == Decimal("10.00")
    assert sum(e.amount for e in entries) == 0


def test_a_cancelled_fulfilment_is_reversed_whole_and_a_never_earned_one_not_at_all():
    earned, unpaid = FulfilmentFactory(), FulfilmentFactory(status="pending")
    services.ledger_record_sale(fulfilment=earned)

    services.ledger_record_refund(fulfilment=earned, full=True)
    services.ledger_record_refund(fulfilment=unpaid, full=True)

    assert sum(e.amount for e in LedgerEntry.objects.filter(fulfilment=earned)) == 0
    assert not LedgerEntry.objects.filter(fulfilment=unpaid).exists()


def test_earnings_are_pending_until_delivered_plus_the_hold(settings):
    settings.SELLER_PAYOUT_HOLD_DAYS = 7
    store = StoreFactory(status=StoreStatus.APPROVED)
    shipped = FulfilmentFactory(store=store, status="shipped")
    recent = delivered(3, store=store)
    matured = delivered(8, store=store)
    for fulfilment in (shipped, recent, matured):
        services.ledger_record_sale(fulfilment=fulfilment)

    figures = balance(store)

    assert figures.pending == Decimal("180.00")
    assert figures.available == Decimal("90.00")
    assert figures.paid_out == 0
    assert figures.total == sum(e.amount for e in LedgerEntry.objects.filter(store=store))


def test_staff_adjust_a_balance_with_a_reason_available_at_once():
    store = StoreFactory()

    entry = services.ledger_adjust(
        store=store, currency="usd", amount=Decimal("-4.50"), reason="Shipping label"
    )

    assert (entry.kind, entry.currency) == (LedgerEntryKind.ADJUSTMENT, "USD")
    assert balance(store).available == Decimal("-4.50")
    with pytest.raises(BusinessValidationError):
        services.ledger_adjust(store=store, currency="USD", amount=Decimal("0"), reason="x")
    with pytest.raises(BusinessValidationError):
        services.ledger_adjust(store=store, currency="USD", amount=Decimal("1"), reason=" ")


# --- payouts ----------------------------------------------------------------------------


@pytest.fixture
def payable_store(settings):
    settings.SELLER_PAYOUT_HOLD_DAYS = 7
    settings.SELLER_PAYOUT_MINIMUM = Decimal("10.00")
    settings.PAYOUT_PROVIDER = "fake"
    store = StoreFactory(status=StoreStatus.APPROVED, payout_account_id="acct_demo")
    services.ledger_record_sale(fulfilment=delivered(10, store=store))  # 90.00 available
    services.ledger_record_sale(fulfilment=delivered(1, store=store))  # 90.00 pending
    return store


def test_a_run_pays_the_available_balance_and_leaves_the_pending(payable_store):
    run = services.payouts_run()

    payout = Payout.objects.get(store=payable_store)
    assert (run.paid, payout.status, payout.amount) == (1, PayoutStatus.PAID, Decimal("90.00"))
    assert payout.provider_reference.startswith("fake_tr_")
    figures = balance(payable_store)
    assert (figures.available, figures.pending, figures.paid_out) == (
        Decimal("0.00"),
        Decimal("90.00"),
        Decimal("90.00"),
    )


def test_a_second_run_pays_nothing_more(payable_store):
    services.payouts_run()

    again = services.payouts_run()

    assert again.opened == [] and again.paid == 0
    assert Payout.objects.filter(store=payable_store).count() == 1


def test_nothing_below_the_minimum_or_without_an_account_is_paid(payable_store, settings):
    settings.SELLER_PAYOUT_MINIMUM = Decimal("100.00")
    poor = services.payouts_run()
    settings.SELLER_PAYOUT_MINIMUM = Decimal("10.00")
    payable_store.payout_account_id = ""
    payable_store.save()
    unreachable = services.payouts_run()

    assert poor.opened == unreachable.opened == []
    assert not Payout.objects.exists()


def test_a_refused_transfer_gives_the_money_back(payable_store):
    payable_store.payout_account_id = DESTINATION_REFUSED
    payable_store.save()

    run = services.payouts_run()

    payout = Payout.objects.get()
    assert (run.failed, payout.status, payout.failure_reason) == (1, "failed", "account_closed")
    assert balance(payable_store).available == Decimal("90.00")
    assert balance(payable_store).paid_out == 0


def test_an_unreachable_provider_keeps_the_payout_for_the_next_run(payable_store):
    payable_store.payout_account_id = DESTINATION_UNREACHABLE
    payable_store.save()
    first = services.payouts_run()
    payout = Payout.objects.get()
    assert (first.still_processing, payout.status) == (1, PayoutStatus.PROCESSING)
    assert balance(payable_store).available == 0  # taken while in flight

    Payout.objects.filter(pk=payout.pk).update(destination="acct_demo")
    second = services.payouts_run()

    payout.refresh_from_db()
    assert (len(second.resent), len(second.opened), payout.status) == (1, 0, PayoutStatus.PAID)
    assert payout.attempts == 2
    assert Payout.objects.count() == 1


def test_a_reversed_transfer_event_gives_the_money_back_once(payable_store):
    services.payouts_run()
    payout = Payout.objects.get()
    event = services.PayoutProviderEvent(
        id="evt_1", type="transfer.reversed", data={"id": payout.provider_reference}
    )

    assert services.payout_event_apply(provider="stripe", event=event) is True
    assert services.payout_event_apply(provider="stripe", event=event) is False

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert balance(payable_store).available == Decimal("90.00")
