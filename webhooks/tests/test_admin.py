"""Webhooks in the admin: endpoints through the services (the URL rules, the secret shown
once in a message, never on a page), the delivery log read-only with a redeliver
action."""

import pytest

from accounts.tests.factories import UserFactory
from catalog.services import product_update
from catalog.tests.factories import ProductFactory
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/webhooks/endpoint/"
DELIVERIES = "/admin/webhooks/delivery/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_adding_an_endpoint_shows_its_secret_once_in_a_message(admin_client, private_targets):
    response = admin_client.post(
        f"{ENDPOINTS}add/",
        {
            "url": "http://127.0.0.1:9/in",
            "description": "Local",
            "events": ["order.paid", "stock.low"],
            "is_active": "on",
        },
        follow=True,
    )

    assert response.redirect_chain, response.content.decode()[:2000]
    endpoint = Endpoint.objects.get()
    assert endpoint.events == ["order.paid", "stock.low"]
    assert endpoint.secret.startswith("whsec_")
    # Shown on the page the add redirects to, in its message; on no page after it.
    assert endpoint.secret in response.content.decode()
    for page in (f"{ENDPOINTS}{endpoint.pk}/change/", ENDPOINTS):
        assert endpoint.secret not in admin_client.get(page).content.decode()


def test_the_admin_refuses_a_private_url_as_the_api_does(admin_client):
    response = admin_client.post(
        f"{ENDPOINTS}add/",
        {"url": "http://169.254.169.254/", "events": ["order.paid"], "is_active": "on"},
    )

    assert response.status_code == 200
    assert "not a public address" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_the_delivery_log_filters_and_redelivers(admin_client, private_targets, endpoint_for):
    endpoint = endpoint_for("http://127.0.0.1:9/", events=["product.updated"])
    product_update(product=ProductFactory(), data={"name": "x"})
    delivery = Delivery.objects.get()

    listed = admin_client.get(DELIVERIES, {"status__exact": "pending"})
    assert [d.pk for d in listed.context["cl"].result_list] == [delivery.pk]
    assert admin_client.get(f"{DELIVERIES}{delivery.pk}/change/").status_code == 200
    response = admin_client.post(
        DELIVERIES, {"action": "redeliver", "_selected_action": [str(delivery.pk)]}
    )

    assert response.status_code == 302
    again = Delivery.objects.exclude(pk=delivery.pk).get()
    assert (again.redelivery_of, again.event_id, again.endpoint) == (
        delivery,
        delivery.event_id,
        endpoint,
    )
    assert (
        endpoint.secret
        not in admin_client.get(f"{DELIVERIES}{delivery.pk}/change/").content.decode()
    )
