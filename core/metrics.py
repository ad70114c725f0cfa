"""Business counters exported at /metrics, each incremented by a one-line call from the
service where the event happens, so services never deal with prometheus_client.

Counters of committed work (orders, payments) count after commit: a rolled-back checkout
or payment never shows. With several gunicorn workers the values of every worker are
summed at scrape time (prometheus_client's multiprocess mode, see config/gunicorn.py).
"""

from django.db import transaction
from prometheus_client import Counter, Histogram

ORDERS_PLACED = Counter(
    "marketplace_orders_placed",
    "Orders placed (checkouts that committed), by currency.",
    ["currency"],
)
PAYMENTS = Counter(
    "marketplace_payments",
    "Payment outcomes by provider: succeeded, failed, pending (waiting for the customer or "
    "the provider), timeout (the provider did not answer in time), needs_review.",
    ["provider", "outcome"],
)
CHECKOUTS_REFUSED_FOR_STOCK = Counter(
    "marketplace_checkouts_refused_for_stock",
    "Checkouts refused because a line had too little stock or was no longer sold.",
)
WEBHOOK_DELIVERIES = Counter(
    "marketplace_webhook_deliveries",
    "Outbound webhook delivery attempts by outcome (delivered, failed, ...).",
    ["outcome"],
)
CACHE_OPERATION_SECONDS = Histogram(
    "marketplace_cache_operation_duration_seconds",
    "Time of cache operations, by backend and operation.",
    ["backend", "operation"],
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 2.5),
)


def order_placed(*, currency: str) -> None:
    """Count an order when the transaction that placed it commits."""
    transaction.on_commit(lambda: ORDERS_PLACED.labels(currency=currency).inc(), robust=True)


def payment_outcome(*, provider: str, outcome: str) -> None:
    """Count a payment reaching `outcome`, when its transaction commits."""
    transaction.on_commit(
        lambda: PAYMENTS.labels(provider=provider, outcome=outcome).inc(), robust=True
    )


def checkout_refused_for_stock() -> None:
    """Count a refused checkout now: its transaction is about to be rolled back."""
    CHECKOUTS_REFUSED_FOR_STOCK.inc()


def webhook_delivery(*, outcome: str) -> None:
    """Count one outbound webhook delivery attempt."""
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()
