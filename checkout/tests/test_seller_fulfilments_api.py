"""The sellers' side of orders over HTTP: each store sees, ships, delivers and cancels its
own part, and nothing of any other store's or of the buyer's payment."""

from decimal import Decimal

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory, approved_store_for
from catalog.tests.factories import ProductFactory
from checkout.services import order_place
from orders.models import Fulfilment, FulfilmentStatus
from orders.tests.factories import ADDRESS, fill_cart, stock_of
from payments.models import Payment, PaymentStatus
from payments.services import payment_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/seller/fulfilments/"


@pytest.fixture
def sellers():
    return [UserFactory(is_seller=True) for _ in range(2)]


def product_of(owner, price="10.00"):
    store = approved_store_for(owner)
    return ProductFactory(store=store, created_by=owner, price=Decimal(price), stock_quantity=10)


def paid_order(buyer, sellers, prices=("10.00", "20.00")):
    products = [product_of(owner, price) for owner, price in zip(sellers, prices, strict=True)]
    fill_cart(buyer, dict.fromkeys(products, 1))
    order = order_place(user=buyer, shipping_address=ADDRESS)
    payment_create(user=buyer, order_id=order.pk)
    return order, products


def part_for(order, owner) -> Fulfilment:
    return Fulfilment.objects.get(order=order, store__owner=owner)


def test_a_seller_lists_only_its_own_parts_with_the_buyer_and_no_payment(user, sellers, client_for):
    order, _ = paid_order(user, sellers)
    mine = part_for(order, sellers[0])

    answer = client_for(sellers[0]).get(URL)

    assert answer.status_code == 200
    assert [row["id"] for row in answer.data["results"]] == [str(mine.pk)]
    row = answer.data["results"][0]
    assert row["order_id"] == str(order.pk)
    assert row["buyer_name"] == ADDRESS["full_name"]
    assert row["shipping_address"]["postal_code"] == ADDRESS["postal_code"]
    assert [item["line_total"] for item in row["items"]] == ["10.00"]
    assert (row["subtotal"], row["commission"], row["net"]) == ("10.00", "1.00", "9.00")
    assert not {"payment", "payments", "email", "provider", "client_secret"} & set(row)


def test_another_stores_part_is_a_404_for_every_action(user, sellers, client_for):
    order, _ = paid_order(user, sellers)
    theirs = part_for(order, sellers[1])
    client = client_for(sellers[0])

    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    for action, body in (
        ("ship", {"tracking_number": "1Z", "carrier": "UPS"}),
        ("deliver", {}),
        ("cancel", {"reason": "Mine now"}),
    ):
        assert client.post(f"{URL}{theirs.pk}/{action}/", body, format="json").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == FulfilmentStatus.PAID


def test_a_user_without_a_store_has_no_fulfilments(user_client):
    answer = user_client.get(URL)

    assert answer.status_code == 404
    assert answer.data["code"] == "not_found"


def test_anonymous_callers_are_refused(api_client):
    assert api_client.get(URL).status_code == 401


def test_the_list_filters_by_status_and_refuses_an_unknown_one(user, sellers, client_for):
    paid, _ = paid_order(user, sellers)
    fill_cart(user, {product_of(sellers[0]): 1})
    pending = order_place(user=user, shipping_address=ADDRESS)
    client = client_for(sellers[0])

    only_paid = client.get(URL, {"status": "paid"})
    unknown = client.get(URL, {"status": "lost"})

    assert [r["order_id"] for r in only_paid.data["results"]] == [str(paid.pk)]
    assert {r["order_id"] for r in client.get(URL).data["results"]} == {
        str(paid.pk),
        str(pending.pk),
    }
    assert unknown.status_code == 400
    assert "status" in unknown.data["errors"]


def test_a_seller_ships_with_tracking_and_the_buyer_is_told(
    user, sellers, client_for, django_capture_on_commit_callbacks
):
    order, _ = paid_order(user, sellers)
    mine = part_for(order, sellers[0])
    client = client_for(sellers[0])
    mail.outbox.clear()

    missing = client.post(f"{URL}{mine.pk}/ship/", {"carrier": "UPS"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        shipped = client.post(
            f"{URL}{mine.pk}/ship/", {"tracking_number": "1Z999", "carrier": "UPS"}, format="json"
        )
    again = client.post(
        f"{URL}{mine.pk}/ship/", {"tracking_number": "1Z999", "carrier": "UPS"}, format="json"
    )

    assert missing.status_code == 400 and "tracking_number" in missing.data["errors"]
    assert shipped.status_code == 200, shipped.data
    assert (shipped.data["status"], shipped.data["tracking_number"]) == ("shipped", "1Z999")
    assert again.status_code == 409 and again.data["code"] == "invalid_transition"
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "1Z999" in mail.outbox[0].body
    # The buyer sees the part shipped; the order waits for the other store.
    seen = client_for(user).get(f"/api/v1/orders/{order.pk}/").data
    parts = {p["store"]["id"]: p for p in seen["fulfilments"]}
    assert parts[str(mine.store_id)]["status"] == "shipped"
    assert parts[str(mine.store_id)]["tracking_number"] == "1Z999"
    assert seen["status"] == "paid"

    delivered = client.post(f"{URL}{mine.pk}/deliver/")
    assert delivered.status_code == 200 and delivered.data["status"] == "delivered"


def test_a_seller_cancels_a_part_it_cannot_serve_with_a_reason(user, sellers, client_for):
    order, products = paid_order(user, sellers)
    mine = part_for(order, sellers[0])
    client = client_for(sellers[0])

    no_reason = client.post(f"{URL}{mine.pk}/cancel/", {}, format="json")
    cancelled = client.post(f"{URL}{mine.pk}/cancel/", {"reason": "Recalled batch"}, format="json")

    assert no_reason.status_code == 400 and "reason" in no_reason.data["errors"]
    assert cancelled.status_code == 200, cancelled.data
    assert (cancelled.data["status"], cancelled.data["refunded"]) == ("cancelled", "10.00")
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.amount_refunded) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        Decimal("10.00"),
    )
    assert stock_of(products[0]) == 10 and stock_of(products[1]) == 9


def test_the_buyers_order_lists_each_stores_part(user, sellers, client_for):
    order, _ = paid_order(user, sellers)

    answer = client_for(user).get(f"/api/v1/orders/{order.pk}/")

    assert answer.status_code == 200
    parts = answer.data["fulfilments"]
    assert sorted(p["total"] for p in parts) == ["10.00", "20.00"]
    items = {i["id"] for i in answer.data["items"]}
    assert {i for p in parts for i in p["item_ids"]} == items
    assert all(p["status"] == "paid" and p["store"]["slug"] for p in parts)
    assert "commission" not in parts[0]  # what the platform keeps is the store's business


def test_deeply_nested_or_huge_bodies_are_a_400_and_change_nothing(user, sellers, client_for):
    order, _ = paid_order(user, sellers)
    mine = part_for(order, sellers[0])
    client = client_for(sellers[0])
    nested = "[" * 5000 + "]" * 5000

    deep = client.post(f"{URL}{mine.pk}/cancel/", nested, content_type="application/json")
    long = client.post(f"{URL}{mine.pk}/cancel/", {"reason": "x" * 10_000}, format="json")
    wrong = client.post(f"{URL}{mine.pk}/ship/", {"tracking_number": ["a"]}, format="json")

    assert (deep.status_code, long.status_code, wrong.status_code) == (400, 400, 400)
    mine.refresh_from_db()
    assert mine.status == FulfilmentStatus.PAID


def test_the_list_costs_the_same_queries_whatever_the_page_size(
    user, sellers, client_for, django_assert_max_num_queries
):
    client = client_for(sellers[0])
    paid_order(user, sellers)
    with django_assert_max_num_queries(10) as small:
        assert len(client.get(URL).data["results"]) == 1
    for _ in range(5):
        paid_order(UserFactory(), sellers)

    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(URL, {"page_size": 50}).data["results"]) == 6
