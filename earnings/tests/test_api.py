import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.tests.factories import CategoryFactory
from earnings import services
from earnings.models import CommissionRule, LedgerEntry, Payout
from orders.tests.factories import FulfilmentFactory
from stores.models import StoreStatus
from stores.tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

RULES = "/api/v1/commission-rules/"
BALANCE = "/api/v1/seller/balance/"
LEDGER = "/api/v1/seller/ledger/"
EXPORT = "/api/v1/seller/ledger/export/"
MY_PAYOUTS = "/api/v1/seller/payouts/"
PAYOUTS = "/api/v1/payouts/"
RUN = "/api/v1/payouts/run/"
ADJUST = "/api/v1/ledger/adjustments/"
WEBHOOK = "/api/v1/payouts/webhooks/stripe/"


@pytest.fixture
def store(seller):
    return seller.store


def _earn(store, *, days_ago=10, **fields):
    fulfilment = FulfilmentFactory(
        store=store,
        status="delivered",
        delivered_at=timezone.now() - timedelta(days=days_ago),
        **fields,
    )
    services.ledger_record_sale(fulfilment=fulfilment)
    return fulfilment


# --- commission rules -------------------------------------------------------------------


def test_staff_manage_commission_rules(staff_client):
    category = CategoryFactory()

    created = staff_client.post(RULES, {"rate": "7.50", "category": str(category.pk)})
    rule_url = f"{RULES}{created.json()['id']}/"
    changed = staff_client.patch(rule_url, {"rate": "8.25"})
    listed = staff_client.get(RULES)
    deleted = staff_client.delete(rule_url)

    assert created.status_code == 201, created.content
    assert created.json()["category"] == str(category.pk)
    assert changed.json()["rate"] == "8.25"
    assert listed.json()["count"] == 1
    assert deleted.status_code == 204
    assert not CommissionRule.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"rate": "5.00"}, "non_field_errors"),  # neither a store nor a category
        ({"rate": "101", "with_category": True}, "rate"),
        ({"rate": "abc", "with_category": True}, "rate"),
        ({"rate": "5.123", "with_category": True}, "rate"),
        ({"rate": "5", "category": "nope"}, "category"),
    ],
)
def test_a_bad_rule_is_a_400(staff_client, body, field):
    if body.pop("with_category", False):
        body["category"] = str(CategoryFactory().pk)

    response = staff_client.post(RULES, body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not CommissionRule.objects.exists()


def test_a_second_rule_for_one_scope_is_a_409(staff_client):
    store = StoreFactory()
    staff_client.post(RULES, {"rate": "5", "store": str(store.pk)})

    response = staff_client.post(RULES, {"rate": "6", "store": str(store.pk)})

    assert response.status_code == 409


def test_only_staff_see_commission_rules(seller_client, api_client):
    assert seller_client.get(RULES).status_code == 403
    assert api_client.get(RULES).status_code == 401


# --- the seller's balance, ledger and payouts -------------------------------------------


def test_a_seller_sees_their_balance_per_currency(seller_client, store):
    _earn(store)
    _earn(store, days_ago=1, currency="EUR")

    response = seller_client.get(BALANCE)

    assert response.status_code == 200
    body = response.json()
    assert body["store"]["id"] == str(store.pk)
    assert body["balances"] == [
        {"currency": "EUR", "pending": "90.00", "available": "0.00", "paid_out": "0.00"},
        {"currency": "USD", "pending": "0.00", "available": "90.00", "paid_out": "0.00"},
    ]


def test_a_seller_never_sees_another_stores_money(seller_client, store):
    other = StoreFactory(status=StoreStatus.APPROVED)
    _earn(other)
    Payout.objects.create(store=other, currency="USD", amount=5, provider="fake", destination="x")

    balance = seller_client.get(BALANCE, {"store": str(other.pk)}).json()
    ledger = seller_client.get(LEDGER, {"store": str(other.pk)}).json()
    payouts = seller_client.get(MY_PAYOUTS, {"store": str(other.pk)}).json()

    # `store` is for staff: a seller is always shown their own store, which has nothing.
    assert balance["store"]["id"] == str(store.pk) and balance["balances"] == []
    assert ledger["count"] == 0 and payouts["count"] == 0
    assert seller_client.get(PAYOUTS).status_code == 403


def test_a_user_without_a_store_has_no_balance(user_client):
    assert user_client.get(BALANCE).status_code == 404
    assert user_client.get(LEDGER).status_code == 404


def test_staff_look_at_any_store(staff_client, store):
    _earn(store)

    response = staff_client.get(LEDGER, {"store": str(store.pk)})

    assert response.json()["count"] == 1
    assert staff_client.get(LEDGER, {"store": "not-a-uuid"}).status_code == 404


def test_the_ledger_lists_entries_newest_first_with_their_order(seller_client, store):
    fulfilment = _earn(store)
    services.ledger_adjust(store=store, currency="USD", amount=Decimal("-1.00"), reason="Fee")

    rows = seller_client.get(LEDGER).json()["results"]

    assert [row["kind"] for row in rows] == ["adjustment", "sale"]
    assert rows[1]["order"] == str(fulfilment.order_id)
    assert rows[1]["amount"] == "90.00"
    assert seller_client.get(LEDGER, {"kind": "sale"}).json()["count"] == 1
    assert seller_client.get(LEDGER, {"kind": "bogus"}).status_code == 400


def test_the_ledger_costs_the_same_queries_whatever_the_page_size(
    seller_client, store, django_assert_max_num_queries
):
    _earn(store)
    with CaptureQueriesContext(connection) as small:
        seller_client.get(LEDGER)
    for _ in range(15):
        _earn(store)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = seller_client.get(LEDGER, {"page_size": 50})
    assert len(response.json()["results"]) == 16


def test_the_ledger_exports_as_csv_with_formulas_defused(seller_client, store):
    _earn(store)
    services.ledger_adjust(store=store, currency="USD", amount=Decimal("2"), reason="=HYPERLINK()")

    response = seller_client.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "created_at,kind,amount,currency,order,payout,description"
    assert len(lines) == 3
    assert "'=HYPERLINK()" in lines[1]


# --- staff: adjustments, payouts --------------------------------------------------------


def test_staff_adjust_a_balance(staff_client, store):
    response = staff_client.post(
        ADJUST, {"store": str(store.pk), "currency": "USD", "amount": "12.00", "reason": "Goodwill"}
    )

    assert response.status_code == 201
    assert LedgerEntry.objects.get().created_by is not None
    assert staff_client.post(ADJUST, {"store": str(store.pk)}).status_code == 400


def test_staff_run_payouts_and_list_them(staff_client, store, settings):
    settings.PAYOUT_PROVIDER = "fake"
    store.payout_account_id = "acct_1"
    store.save()
    _earn(store)

    run = staff_client.post(RUN)
    listed = staff_client.get(PAYOUTS, {"status": "paid"})

    assert run.status_code == 200
    assert run.json() == {
        "opened": 1,
        "resent": 0,
        "paid": 1,
        "failed": 0,
        "still_processing": 0,
    }
    assert listed.json()["results"][0]["amount"] == "90.00"
    assert staff_client.post(RUN).json()["opened"] == 0


def test_only_staff_run_payouts(seller_client):
    assert seller_client.post(RUN).status_code == 403


# --- the Stripe Connect webhook ---------------------------------------------------------


def _signed(body: dict, secret: str, *, at: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(body).encode()
    timestamp = at if at is not None else int(time.time())
    signature = stripe.WebhookSignature._compute_signature(
        f"{timestamp}.{payload.decode()}", secret
    )
    return payload, f"t={timestamp},v1={signature}"


def test_a_signed_transfer_event_confirms_a_payout_once(api_client, settings, store):
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_test"
    payout = Payout.objects.create(
        store=store, currency="USD", amount=5, provider="stripe", destination="acct_1"
    )
    event = {
        "id": "evt_1",
        "type": "transfer.created",
        "data": {"object": {"id": "tr_1", "metadata": {"payout_id": str(payout.pk)}}},
    }
    payload, signature = _signed(event, "whsec_test")

    first = api_client.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    again = api_client.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )

    assert first.json() == {"received": True, "duplicate": False}
    assert again.json() == {"received": True, "duplicate": True}
    payout.refresh_from_db()
    assert (payout.status, payout.provider_reference) == ("paid", "tr_1")


@pytest.mark.parametrize("shift", [-3600, 3600])
def test_a_stale_or_future_signature_is_refused(api_client, settings, shift):
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_test"
    payload, signature = _signed(
        {"id": "evt_2", "type": "transfer.created", "data": {"object": {}}},
        "whsec_test",
        at=int(time.time()) + shift,
    )

    response = api_client.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )

    assert response.status_code == 400


def test_an_unsigned_or_deeply_nested_body_is_refused_before_parsing(api_client, settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_test"

    unsigned = api_client.post(WEBHOOK, b"[" * 100_000, content_type="application/json")
    forged = api_client.post(
        WEBHOOK, b"{}", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=00"
    )

    assert unsigned.status_code == forged.status_code == 400


def test_the_webhook_is_503_without_its_secret(api_client, settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = ""

    response = api_client.post(WEBHOOK, b"{}", content_type="application/json")

    assert response.status_code == 503


def test_staff_list_payouts_filtered_by_store(staff_client):
    first, second = StoreFactory(), StoreFactory()
    for store in (first, second, second):
        Payout.objects.create(
            store=store, currency="USD", amount=5, provider="fake", destination="x", status="paid"
        )

    response = staff_client.get(PAYOUTS, {"store": str(second.pk)})

    assert response.json()["count"] == 2
