from decimal import Decimal

import pytest

from orders.models import OrderStatus
from payments.models import Payment, PaymentStatus, Refund
from payments.providers.fake import FakeProvider
from payments.tests.factories import (
    OrderFactory,
    PaymentFactory,
    SucceededPaymentFactory,
)

URL = "/api/v1/payments/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def charges(monkeypatch):
    """Counts the calls that reach the fake provider (each one would be a charge)."""
    calls = []
    original = FakeProvider.create_payment

    def counting(self, *, payment, token):
        calls.append(token)
        return original(self, payment=payment, token=token)

    monkeypatch.setattr(FakeProvider, "create_payment", counting)
    return calls


def _pay(client, order, **body):
    return client.post(URL, {"order_id": str(order.pk), **body}, format="json")


# --- POST payments/ ---------------------------------------------------------------------


def test_paying_with_success_token_marks_payment_succeeded_and_order_paid(user_client, order):
    response = _pay(user_client, order, provider="fake", token="tok_success")

    assert response.status_code == 201, response.data
    assert response.data["status"] == "succeeded"
    assert response.data["order"] == str(order.pk)
    assert response.data["amount"] == "49.99"
    assert response.data["currency"] == "USD"
    assert response.data["amount_refunded"] == "0.00"
    assert response.data["refunds"] == []
    payment = Payment.objects.get(order=order)
    assert payment.succeeded_at is not None
    assert payment.provider_reference.startswith("fake_ch_")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.paid_at is not None


def test_paying_without_provider_or_token_uses_fake_success(user_client, order, settings):
    settings.PAYMENT_PROVIDERS = ["fake", "stripe"]

    response = _pay(user_client, order)

    assert response.status_code == 201
    assert response.data["provider"] == "fake"
    assert response.data["status"] == "succeeded"


def test_declined_payment_is_failed_with_reason_and_order_stays_pending(user_client, order):
    response = _pay(user_client, order, token="tok_decline")

    assert response.status_code == 201
    assert response.data["status"] == "failed"
    assert response.data["failure_reason"] == "card_declined"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_timeout_answers_202_and_payment_stays_pending(user_client, order):
    response = _pay(user_client, order, token="tok_timeout")

    assert response.status_code == 202
    assert response.data["status"] == "pending"
    assert response.data["failure_reason"] == "provider_timeout"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_retry_after_timeout_reattempts_the_same_payment(user_client, order):
    first = _pay(user_client, order, token="tok_timeout")

    retry = _pay(user_client, order, token="tok_success")

    assert retry.status_code == 200
    assert retry.data["id"] == first.data["id"]
    assert retry.data["status"] == "succeeded"
    assert retry.data["failure_reason"] == ""
    assert Payment.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_retry_after_decline_reattempts_the_same_payment(user_client, order):
    first = _pay(user_client, order, token="tok_decline")

    retry = _pay(user_client, order, token="tok_success")

    assert retry.status_code == 200
    assert retry.data["id"] == first.data["id"]
    assert retry.data["status"] == "succeeded"
    assert Payment.objects.filter(order=order).count() == 1


def test_retry_after_success_returns_the_payment_without_charging_again(
    user_client, order, charges
):
    first = _pay(user_client, order, token="tok_success")

    retry = _pay(user_client, order, token="tok_success")

    assert retry.status_code == 200
    assert retry.data == first.data | {"updated_at": retry.data["updated_at"]}
    assert charges == ["tok_success"]
    assert Payment.objects.filter(order=order).count() == 1


def test_amount_and_currency_come_from_the_order_whatever_the_body_says(user_client, user):
    order = OrderFactory(user=user, subtotal=Decimal("120.00"), discount_total=Decimal("20.50"))

    response = _pay(user_client, order, amount="0.01", currency="EUR")

    assert response.status_code == 201
    assert response.data["amount"] == "99.50"
    assert response.data["currency"] == "USD"
    payment = Payment.objects.get(order=order)
    assert (payment.amount, payment.currency) == (Decimal("99.50"), "USD")


def test_unknown_test_token_is_400_and_order_stays_pending(user_client, order):
    response = _pay(user_client, order, token="tok_bogus")

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert "token" in response.data["errors"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).exists()


def test_unknown_provider_is_400_on_provider(user_client, order):
    response = _pay(user_client, order, provider="paypal")

    assert response.status_code == 400
    assert "provider" in response.data["errors"]
    assert not Payment.objects.exists()


def test_provider_not_enabled_in_settings_is_400(user_client, order, settings):
    settings.PAYMENT_PROVIDERS = ["fake"]

    response = _pay(user_client, order, provider="stripe")

    assert response.status_code == 400
    assert "provider" in response.data["errors"]


def test_paying_another_users_order_is_404(user_client):
    others = OrderFactory()

    response = _pay(user_client, others)

    assert response.status_code == 404
    assert response.data["code"] == "not_found"
    assert not Payment.objects.exists()


def test_staff_cannot_pay_for_another_users_order(staff_client):
    response = _pay(staff_client, OrderFactory())

    assert response.status_code == 404
    assert not Payment.objects.exists()


def test_paying_an_unknown_or_malformed_order_id(user_client):
    unknown = user_client.post(
        URL, {"order_id": "00000000-0000-0000-0000-000000000000"}, format="json"
    )
    malformed = user_client.post(URL, {"order_id": "nope"}, format="json")
    missing = user_client.post(URL, {}, format="json")

    assert unknown.status_code == 404
    assert malformed.status_code == 400
    assert "order_id" in malformed.data["errors"]
    assert missing.status_code == 400


def test_paying_a_cancelled_order_is_409_invalid_transition(user_client, user):
    order = OrderFactory(user=user, status=OrderStatus.CANCELLED)

    response = _pay(user_client, order)

    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"
    assert not Payment.objects.exists()


def test_retrying_a_failed_payment_after_the_order_was_cancelled_is_409(user_client, order):
    _pay(user_client, order, token="tok_decline")
    order.status = OrderStatus.CANCELLED
    order.save()

    response = _pay(user_client, order, token="tok_success")

    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"
    assert Payment.objects.get(order=order).status == PaymentStatus.FAILED


def test_paying_an_already_paid_order_returns_its_payment(user_client, user, charges):
    payment = SucceededPaymentFactory(order__user=user)

    response = _pay(user_client, payment.order)

    assert response.status_code == 200
    assert response.data["id"] == str(payment.pk)
    assert charges == []


def test_switching_provider_on_a_pending_payment_is_409(user_client, order, settings):
    settings.PAYMENT_PROVIDERS = ["fake", "stripe"]
    PaymentFactory(order=order, provider="stripe", provider_reference="pi_1")

    response = _pay(user_client, order, provider="fake")

    assert response.status_code == 409
    assert response.data["code"] == "conflict"


def test_paying_requires_authentication(api_client, order):
    response = _pay(api_client, order)

    assert response.status_code == 401
    assert not Payment.objects.exists()


def test_same_idempotency_key_replays_the_first_answer_without_a_second_charge(
    user_client, order, charges
):
    headers = {"HTTP_IDEMPOTENCY_KEY": "pay-1"}
    body = {"order_id": str(order.pk), "token": "tok_success"}

    first = user_client.post(URL, body, format="json", **headers)
    replay = user_client.post(URL, body, format="json", **headers)

    assert first.status_code == replay.status_code == 201
    assert replay.data == first.data
    assert replay["Idempotent-Replayed"] == "true"
    assert charges == ["tok_success"]


def test_idempotency_key_reused_with_another_body_is_422(user_client, order, charges):
    headers = {"HTTP_IDEMPOTENCY_KEY": "pay-2"}
    user_client.post(URL, {"order_id": str(order.pk)}, format="json", **headers)

    response = user_client.post(
        URL, {"order_id": str(order.pk), "token": "tok_decline"}, format="json", **headers
    )

    assert response.status_code == 422
    assert response.data["code"] == "idempotency_conflict"
    assert len(charges) == 1


# --- GET payments/ ----------------------------------------------------------------------


def test_list_shows_only_the_callers_payments(user_client, user):
    mine = PaymentFactory(order__user=user)
    PaymentFactory()

    response = user_client.get(URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [str(mine.pk)]


def test_staff_list_shows_all_and_filters(staff_client):
    failed = PaymentFactory(status=PaymentStatus.FAILED)
    succeeded = SucceededPaymentFactory()
    stripe = PaymentFactory(provider="stripe")

    everything = staff_client.get(URL)
    by_status = staff_client.get(URL, {"status": "failed"})
    by_provider = staff_client.get(URL, {"provider": "stripe"})
    by_order = staff_client.get(URL, {"order": str(succeeded.order_id)})

    assert everything.data["count"] == 3
    assert [row["id"] for row in by_status.data["results"]] == [str(failed.pk)]
    assert [row["id"] for row in by_provider.data["results"]] == [str(stripe.pk)]
    assert [row["id"] for row in by_order.data["results"]] == [str(succeeded.pk)]


def test_list_with_a_malformed_filter_is_400(staff_client):
    assert staff_client.get(URL, {"status": "bogus"}).status_code == 400
    assert staff_client.get(URL, {"order": "not-a-uuid"}).status_code == 400


def test_list_costs_the_same_queries_whatever_the_page_size(
    staff_client, django_assert_max_num_queries
):
    for payment in SucceededPaymentFactory.create_batch(5):
        Refund.objects.create(payment=payment, amount=Decimal("1.00"))

    with django_assert_max_num_queries(5):
        response = staff_client.get(URL)

    assert response.data["count"] == 5
    assert all(len(row["refunds"]) == 1 for row in response.data["results"])


def test_retrieving_another_users_payment_is_404(user_client):
    others = PaymentFactory()

    response = user_client.get(f"{URL}{others.pk}/")

    assert response.status_code == 404


def test_client_secret_is_shown_to_its_owner_only(user_client, user, staff_client):
    payment = PaymentFactory(order__user=user, provider="stripe", client_secret="pi_1_secret_2")

    own = user_client.get(f"{URL}{payment.pk}/")
    staff_view = staff_client.get(f"{URL}{payment.pk}/")

    assert own.data["client_secret"] == "pi_1_secret_2"
    assert staff_view.status_code == 200
    assert staff_view.data["client_secret"] is None


def test_needs_review_flag_is_shown_to_staff_only(user_client, user, staff_client):
    payment = PaymentFactory(order__user=user, needs_review=True)

    own = user_client.get(f"{URL}{payment.pk}/")
    staff_view = staff_client.get(f"{URL}{payment.pk}/")

    assert own.status_code == 200
    assert "needs_review" not in own.data
    assert staff_view.data["needs_review"] is True


# --- POST payments/{id}/refund/ ----------------------------------------------------------


def _refund(client, payment, **body):
    return client.post(f"{URL}{payment.pk}/refund/", body, format="json")


def test_staff_full_refund_refunds_everything(staff_client, staff):
    payment = SucceededPaymentFactory()

    response = _refund(staff_client, payment, reason="Damaged")

    assert response.status_code == 200, response.data
    assert response.data["status"] == "refunded"
    assert response.data["amount_refunded"] == "49.99"
    assert len(response.data["refunds"]) == 1
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.reason, refund.created_by) == (Decimal("49.99"), "Damaged", staff)
    assert refund.provider_reference.startswith("fake_re_")


def test_staff_partial_refunds_add_up_to_the_amount(staff_client):
    payment = SucceededPaymentFactory()

    first = _refund(staff_client, payment, amount="10.00")
    second = _refund(staff_client, payment, amount="39.99")

    assert first.data["status"] == "partially_refunded"
    assert first.data["amount_refunded"] == "10.00"
    assert second.data["status"] == "refunded"
    assert second.data["amount_refunded"] == "49.99"


def test_refunding_more_than_was_paid_is_400_and_changes_nothing(staff_client):
    payment = SucceededPaymentFactory()
    _refund(staff_client, payment, amount="40.00")

    response = _refund(staff_client, payment, amount="10.00")

    assert response.status_code == 400
    assert "amount" in response.data["errors"]
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("40.00")
    assert payment.refunds.count() == 1


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.001", "abc"])
def test_refund_with_an_invalid_amount_is_400(staff_client, amount):
    payment = SucceededPaymentFactory()

    response = _refund(staff_client, payment, amount=amount)

    assert response.status_code == 400
    assert "amount" in response.data["errors"]
    assert not Refund.objects.exists()


def test_refunding_a_payment_that_did_not_succeed_is_409(staff_client):
    payment = PaymentFactory(status=PaymentStatus.FAILED)

    response = _refund(staff_client, payment)

    assert response.status_code == 409
    assert response.data["code"] == "conflict"


def test_non_staff_cannot_refund_even_their_own_payment(user_client, user):
    payment = SucceededPaymentFactory(order__user=user)

    response = _refund(user_client, payment)

    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_refunding_an_unknown_payment_is_404(staff_client):
    response = staff_client.post(f"{URL}00000000-0000-0000-0000-000000000000/refund/")

    assert response.status_code == 404
