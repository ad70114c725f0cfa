from decimal import Decimal

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from payments.models import PaymentStatus, Refund, WebhookEvent
from payments.tests.factories import PaymentFactory, SucceededPaymentFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/payments"


@pytest.fixture
def admin_user():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client_(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", ["payment", "refund", "webhookevent"])
def test_changelists_render_and_nothing_can_be_added(admin_client_, model):
    payment = SucceededPaymentFactory()
    Refund.objects.create(payment=payment, amount=Decimal("1.00"))
    WebhookEvent.objects.create(provider="stripe", event_id="evt_1", event_type="x", payload={})

    assert admin_client_.get(f"{ADMIN}/{model}/").status_code == 200
    assert admin_client_.get(f"{ADMIN}/{model}/add/").status_code == 403


def test_payment_change_page_shows_money_read_only_with_refunds_inline(admin_client_):
    payment = SucceededPaymentFactory()
    Refund.objects.create(payment=payment, amount=Decimal("1.00"), reason="Scratched")

    page = admin_client_.get(f"{ADMIN}/payment/{payment.pk}/change/").content.decode()

    assert "Scratched" in page
    assert 'name="amount"' not in page
    assert 'name="status"' not in page
    assert 'name="needs_review"' in page


def test_payment_search_by_user_email_order_id_and_reference(admin_client_):
    payment = SucceededPaymentFactory(provider_reference="pi_findme")
    other = SucceededPaymentFactory()

    for term in [payment.user.email, str(payment.order_id), "pi_findme"]:
        page = admin_client_.get(f"{ADMIN}/payment/", {"q": term}).content.decode()
        assert str(payment.pk) in page, term
        assert str(other.pk) not in page, term
    assert admin_client_.get(f"{ADMIN}/payment/", {"q": "no-uuid"}).status_code == 200


def test_payment_filters_by_needs_review(admin_client_):
    flagged = PaymentFactory(needs_review=True)
    fine = PaymentFactory()

    page = admin_client_.get(f"{ADMIN}/payment/", {"needs_review__exact": "1"}).content.decode()

    assert str(flagged.pk) in page
    assert str(fine.pk) not in page


def test_refund_in_full_action_refunds_through_the_service(admin_client_, admin_user):
    payment = SucceededPaymentFactory()
    failed = PaymentFactory(status=PaymentStatus.FAILED)

    response = admin_client_.post(
        f"{ADMIN}/payment/",
        {"action": "refund_in_full", "_selected_action": [str(payment.pk), str(failed.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert Refund.objects.get(payment=payment).created_by == admin_user
    failed.refresh_from_db()
    assert failed.status == PaymentStatus.FAILED
    messages = [str(m) for m in response.context["messages"]]
    assert any("Refunded 1 payment" in m for m in messages)
    assert any(str(failed.pk) in m for m in messages)
