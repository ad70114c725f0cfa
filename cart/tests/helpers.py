"""Small helpers shared by the cart tests."""

from datetime import timedelta

from django.utils import timezone

from cart.models import Cart

CART = "/api/v1/cart/"


def item_url(item_or_id) -> str:
    return f"{CART}{getattr(item_or_id, 'pk', item_or_id)}/"


def token_header(token: str) -> dict:
    return {"HTTP_X_CART_TOKEN": token}


def assert_validation_error(response, field: str) -> dict:
    """The SPEC error shape with a message on `field`."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"]
    assert body["errors"][field], body
    return body


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"


def make_stale(cart: Cart, *, days: int) -> None:
    """Pretend the cart was last touched `days` days ago (bypasses auto_now)."""
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - timedelta(days=days))
