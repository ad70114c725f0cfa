"""The operator's admin: an order's page ships, cancels and refunds through the services,
shows the payment and a readable address; orders and payments export as CSV for a date
range; products are corrected in the list; reviews show their comments."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from checkout.services import order_place
from orders.models import OrderStatus
from orders.tests.factories import ADDRESS, OrderFactory, fill_cart, stock_of
from payments.models import Payment, PaymentStatus
from payments.services import payment_create
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def paid_order(user):
    product = ProductFactory(price=Decimal("25.00"), stock_quantity=5)
    fill_cart(user, {product: 2})
    order = order_place(user=user, shipping_address=ADDRESS)
    payment_create(user=user, order_id=order.pk)
    order.refresh_from_db()
    return order, product


def page(order, action=""):
    return f"/admin/orders/order/{order.pk}/{action + '/' if action else 'change/'}"


def test_the_order_page_shows_the_address_the_payment_and_the_buttons(admin, paid_order):
    order, _ = paid_order

    answer = admin.get(page(order))

    html = answer.content.decode()
    assert answer.status_code == 200
    assert "Ada Lovelace<br>12 St James&#x27;s Square<br>SW1Y 4JH London<br>GB" in html
    assert "fake 50.00 USD</a>: succeeded, refunded 0.00" in html
    for action in ("ship", "cancel", "refund"):
        assert f'href="{page(order, action)}"' in html


def test_staff_ship_an_order_from_its_page(admin, paid_order):
    order, _ = paid_order

    missing = admin.post(page(order, "ship"), {"tracking_number": "", "carrier": "UPS"})
    shipped = admin.post(
        page(order, "ship"), {"tracking_number": "1Z999", "carrier": "UPS"}, follow=True
    )

    assert missing.status_code == 200 and "This field is required" in missing.content.decode()
    assert shipped.redirect_chain[-1][0] == page(order)
    order.refresh_from_db()
    assert (order.status, order.tracking_number, order.carrier) == (
        OrderStatus.SHIPPED,
        "1Z999",
        "UPS",
    )


def test_staff_refund_part_of_a_payment_and_then_the_rest(admin, paid_order):
    order, _ = paid_order
    payment = Payment.objects.get(order=order)

    part = admin.post(page(order, "refund"), {"amount": "12.50", "reason": "Late"}, follow=True)
    too_much = admin.post(page(order, "refund"), {"amount": "40.00", "reason": "Oops"})
    rest = admin.post(page(order, "refund"), {"amount": "", "reason": "Returned"}, follow=True)

    assert "Refunded 12.50 USD." in part.content.decode()
    assert "At most 37.50 USD can still be refunded." in too_much.content.decode()
    assert "Refunded 37.50 USD." in rest.content.decode()
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, Decimal("50.00"))


def test_staff_cancel_an_order_from_its_page(admin, paid_order):
    order, product = paid_order

    admin.post(page(order, "cancel"), {"reason": "Fraud check failed"}, follow=True)

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "Fraud check failed")
    assert stock_of(product) == 5
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED


def test_an_action_the_order_no_longer_allows_is_reported_and_changes_nothing(admin, user):
    order = OrderFactory(user=user, status=OrderStatus.DELIVERED)

    answer = admin.post(page(order, "cancel"), {"reason": "Late"}, follow=True)

    assert "cannot become cancelled" in answer.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


def test_customers_cannot_reach_the_buttons(client_for, paid_order, user):
    order, _ = paid_order
    browser = Client()
    browser.force_login(user)

    assert browser.post(page(order, "cancel"), {"reason": "x"}).status_code == 302  # to login
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_orders_and_payments_export_as_csv_for_a_date_range(admin, paid_order):
    order, _ = paid_order
    OrderFactory(email="=HYPERLINK(1)@example.com")
    today = timezone.localdate().isoformat()

    form = admin.get("/admin/orders/order/export/")
    orders = admin.get("/admin/orders/order/export/", {"date_from": today, "date_to": today})
    payments = admin.get("/admin/payments/payment/export/", {"date_from": today, "date_to": today})
    backwards = admin.get(
        "/admin/orders/order/export/", {"date_from": today, "date_to": "2020-01-01"}
    )

    assert form.status_code == 200 and "Download CSV" in form.content.decode()
    rows = b"".join(orders.streaming_content).decode().splitlines()
    assert rows[0].startswith("id,created_at,status,email")
    assert len(rows) == 3
    assert any(row.startswith(f"{order.pk},") and ",paid," in row for row in rows)
    assert any("'=HYPERLINK(1)@example.com" in row for row in rows)  # never a formula
    lines = b"".join(payments.streaming_content).decode().splitlines()
    assert len(lines) == 2 and ",succeeded,50.00,0.00,USD," in lines[1]
    assert backwards.status_code == 200 and "ends before it starts" in backwards.content.decode()


def test_products_show_a_thumbnail_and_take_price_and_stock_in_the_list(admin):
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=3)
    changelist = admin.get("/admin/catalog/product/")
    assert changelist.status_code == 200
    actions = [name for name, _ in changelist.context["action_form"].fields["action"].choices]
    assert "soft_delete" in actions and "delete_selected" not in actions
    assert 'name="form-0-price"' in changelist.content.decode()

    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(product.pk),
        "form-0-price": "12.50",
        "form-0-stock_quantity": "7",
        "_save": "Save",
    }
    saved = admin.post("/admin/catalog/product/", data, follow=True)

    assert saved.status_code == 200
    product = Product.objects.get(pk=product.pk)
    assert (product.price, product.stock_quantity, product.current_price) == (
        Decimal("12.50"),
        7,
        Decimal("12.50"),
    )


def test_reviews_show_their_comment_in_the_list(admin):
    ReviewFactory(comment="Calms my skin within a week. " * 10)

    answer = admin.get("/admin/reviews/review/")

    assert "Calms my skin within a week." in answer.content.decode()
