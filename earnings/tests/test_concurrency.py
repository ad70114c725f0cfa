"""Payouts and ledger writes racing each other, with real threads on PostgreSQL."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from earnings import services
from earnings.models import LedgerEntry, Payout, PayoutStatus
from earnings.selectors import store_balances
from orders.tests.factories import FulfilmentFactory
from stores.models import StoreStatus
from stores.tests.factories import StoreFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL")
    settings.PAYOUT_PROVIDER = "fake"
    settings.SELLER_PAYOUT_MINIMUM = Decimal("1.00")
    settings.SELLER_PAYOUT_HOLD_DAYS = 7


def _together(*targets):
    """Run the callables at the same moment in threads; return what they raised."""
    barrier = threading.Barrier(len(targets))
    errors = []

    def run(target):
        try:
            barrier.wait()
            target()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _matured_sale(store, amount=Decimal("100.00")):
    fulfilment = FulfilmentFactory(
        store=store,
        status="delivered",
        delivered_at=timezone.now() - timedelta(days=30),
        subtotal=amount,
        commission=Decimal("0.00"),
    )
    services.ledger_record_sale(fulfilment=fulfilment)
    return fulfilment


def test_payout_runs_at_once_pay_each_store_once():
    stores = [
        StoreFactory(status=StoreStatus.APPROVED, payout_account_id=f"acct_{n}") for n in range(3)
    ]
    for store in stores:
        _matured_sale(store)

    errors = _together(*[services.payouts_run for _ in range(6)])

    assert errors == []
    for store in stores:
        payouts = Payout.objects.filter(store=store)
        assert payouts.count() == 1
        assert payouts.get().status == PayoutStatus.PAID
        assert payouts.get().amount == Decimal("100.00")
        (balance,) = store_balances(store_id=store.pk)
        assert (balance.available, balance.paid_out) == (Decimal("0.00"), Decimal("100.00"))


def test_sales_refunds_and_a_payout_racing_keep_the_balance_the_sum_of_its_entries():
    store = StoreFactory(status=StoreStatus.APPROVED, payout_account_id="acct_race")
    refundable = [_matured_sale(store) for _ in range(4)]
    fresh = [
        FulfilmentFactory(
            store=store,
            status="delivered",
            delivered_at=timezone.now() - timedelta(days=30),
            subtotal=Decimal("50.00"),
            commission=Decimal("5.00"),
        )
        for _ in range(4)
    ]

    def refund(fulfilment):
        def go():
            fulfilment.refunded = Decimal("40.00")
            services.ledger_record_refund(fulfilment=fulfilment)

        return go

    def sell(fulfilment):
        return lambda: services.ledger_record_sale(fulfilment=fulfilment)

    errors = _together(
        *[refund(f) for f in refundable],
        *[sell(f) for f in fresh],
        services.payouts_run,
        services.payouts_run,
    )

    assert errors == []
    entries = LedgerEntry.objects.filter(store=store)
    total = entries.aggregate(total=Sum("amount"))["total"]
    (balance,) = store_balances(store_id=store.pk)
    assert balance.total == total
    # Whatever the interleaving: at most one payout per run, the second only after the
    # first was settled, together exactly what was available at the last one's moment (the
    # 400 earned before, plus whichever of the racing sales of 45 and refunds of 40 had
    # committed): a refund after it may then make the balance negative.
    payouts = list(Payout.objects.filter(store=store))
    assert 1 <= len(payouts) <= 2
    consistent = {
        Decimal("400.00") + 45 * sold - 40 * refunded for sold in range(5) for refunded in range(5)
    }
    assert sum(payout.amount for payout in payouts) in consistent
    assert all(payout.amount > 0 for payout in payouts)
    assert balance.paid_out == sum(payout.amount for payout in payouts)
    # 4 sales of 100 less 4 refunds of 40 (no commission on those), plus 4 of 45.
    expected_earned = Decimal("400.00") - Decimal("160.00") + Decimal("180.00")
    assert balance.available + balance.paid_out == expected_earned
