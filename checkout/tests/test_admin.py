"""Orders in the admin: read-only records, status actions through the services."""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from checkout.services import order_place
from orders.models import Order, OrderStatus
from orders.tests.factories import ADDRESS, OrderFactory, OrderItemFactory, fill_cart, stock_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def admin(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def change_url(order):
    return f"{CHANGELIST}{order.pk}/change/"


def act(admin, action, *orders):
    return admin.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(o.pk) for o in orders]},
        follow=True,
    )


def test_the_changelist_searches_by_email_and_id(admin):
    wanted = OrderFactory(email="findme@example.com")
    OrderFactory(email="other@example.com")

    by_email = admin.get(CHANGELIST, {"q": "findme"})
    by_id = admin.get(CHANGELIST, {"q": str(wanted.pk)})
    by_junk = admin.get(CHANGELIST, {"q": "not-an-id", "status__exact": "pending"})

    assert by_email.context["cl"].result_count == 1
    assert list(by_id.context["cl"].result_list) == [wanted]
    assert by_junk.status_code == 200


def test_the_change_form_shows_items_and_locks_the_snapshots(admin):
    item = OrderItemFactory(product_name="Snapshot name")

    response = admin.get(change_url(item.order))

    assert response.status_code == 200
    assert "Snapshot name" in response.content.decode()
    form = response.context["adminform"].form
    assert "total" not in form.fields and "shipping_address" not in form.fields
    assert "tracking_number" not in form.fields  # only while paid


def test_staff_enter_tracking_data_while_paid_and_nothing_else_changes(admin):
    order = OrderFactory(status=OrderStatus.PAID)

    response = admin.post(
        change_url(order),
        {
            "tracking_number": "1Z999",
            "carrier": "UPS",
            "total": "0.01",
            "status": "delivered",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
            "fulfilments-TOTAL_FORMS": "0",
            "fulfilments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.tracking_number, order.carrier) == ("1Z999", "UPS")
    assert order.status == OrderStatus.PAID
    assert str(order.total) == "19.99"


def test_the_cancel_action_uses_the_service(admin):
    product = ProductFactory(stock_quantity=5)
    user = UserFactory()
    fill_cart(user, {product: 2})
    order = order_place(user=user, shipping_address=ADDRESS)
    shipped = OrderFactory(status=OrderStatus.SHIPPED)

    response = act(admin, "cancel_orders", order, shipped)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=shipped.pk).status == OrderStatus.SHIPPED
    assert stock_of(product) == 5
    text = response.content.decode()
    assert "Cancelled 1 order(s)." in text and "cannot become cancelled" in text


def test_mark_shipped_refuses_an_order_without_tracking_data(admin):
    ready = OrderFactory(status=OrderStatus.PAID, tracking_number="1Z", carrier="UPS")
    missing = OrderFactory(status=OrderStatus.PAID)

    response = act(admin, "mark_shipped", ready, missing)

    assert Order.objects.get(pk=ready.pk).status == OrderStatus.SHIPPED
    assert Order.objects.get(pk=missing.pk).status == OrderStatus.PAID
    assert "Enter the tracking number and carrier" in response.content.decode()


def test_mark_delivered_moves_shipped_orders_only(admin):
    shipped = OrderFactory(status=OrderStatus.SHIPPED)
    pending = OrderFactory()

    act(admin, "mark_delivered", shipped, pending)

    assert Order.objects.get(pk=shipped.pk).status == OrderStatus.DELIVERED
    assert Order.objects.get(pk=pending.pk).status == OrderStatus.PENDING


def test_orders_cannot_be_added_or_deleted_in_the_admin(admin):
    order = OrderFactory()

    assert admin.get(f"{CHANGELIST}add/").status_code == 403
    assert admin.get(f"{CHANGELIST}{order.pk}/delete/").status_code == 403
