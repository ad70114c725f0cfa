"""CORS: pages on the configured origins can call the API, read its errors and the headers
they need; other origins get no CORS headers (the browser then refuses the answer)."""

import pytest

from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

FRONTEND = "https://shop.example.com"
PREFLIGHT = {
    "HTTP_ORIGIN": FRONTEND,
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type, x-cart-token",
}


@pytest.fixture(autouse=True)
def _frontend(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    settings.CORS_ALLOWED_ORIGIN_REGEXES = []


def _listed(header_value: str) -> set[str]:
    return {part.strip().lower() for part in header_value.split(",")}


def test_an_allowed_origin_may_read_the_answer_and_the_headers_it_needs(api_client):
    response = api_client.get("/api/v1/products/", HTTP_ORIGIN=FRONTEND)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert {"x-cart-token", "retry-after", "x-request-id"} <= _listed(
        response["Access-Control-Expose-Headers"]
    )
    assert "origin" in _listed(response["Vary"])
    # Bearer tokens need no cookies: credentials stay off unless configured.
    assert "Access-Control-Allow-Credentials" not in response


def test_another_origin_gets_no_cors_headers(api_client):
    response = api_client.get("/api/v1/products/", HTTP_ORIGIN="https://evil.example.net")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Expose-Headers" not in response


def test_no_origin_is_allowed_by_default(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = []

    response = api_client.get("/api/v1/products/", HTTP_ORIGIN=FRONTEND)

    assert "Access-Control-Allow-Origin" not in response


def test_the_preflight_of_a_cart_post_allows_the_cart_token_and_authorization(api_client):
    response = api_client.options("/api/v1/cart/", **PREFLIGHT)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert "post" in _listed(response["Access-Control-Allow-Methods"])
    assert {"authorization", "content-type", "x-cart-token", "idempotency-key"} <= _listed(
        response["Access-Control-Allow-Headers"]
    )
    assert int(response["Access-Control-Max-Age"]) > 0
    assert response["X-Request-ID"]


def test_a_preflight_is_answered_before_authentication(api_client):
    # The checkout needs a bearer token; a preflight never carries one and must pass.
    plain_options = api_client.options("/api/v1/orders/", HTTP_ORIGIN=FRONTEND)

    preflight = api_client.options("/api/v1/orders/", **PREFLIGHT)

    assert plain_options.status_code == 401
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == FRONTEND


def test_a_preflight_from_another_origin_is_not_allowed(api_client):
    response = api_client.options(
        "/api/v1/cart/", **{**PREFLIGHT, "HTTP_ORIGIN": "https://evil.example.net"}
    )

    assert "Access-Control-Allow-Origin" not in response


def test_a_guest_page_can_read_its_new_cart_token(api_client):
    product = ProductFactory(stock_quantity=5)

    response = api_client.post(
        "/api/v1/cart/", {"product_id": str(product.pk), "quantity": 1}, HTTP_ORIGIN=FRONTEND
    )

    assert response.status_code == 200, response.content
    assert response["X-Cart-Token"]
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert "x-cart-token" in _listed(response["Access-Control-Expose-Headers"])


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/orders/", 401),
        ("get", "/api/v1/no-such-thing/", 404),
        ("post", "/api/v1/auth/token/", 400),
    ],
)
def test_error_answers_are_readable_by_the_page_too(api_client, method, path, status):
    response = getattr(api_client, method)(path, HTTP_ORIGIN=FRONTEND)

    assert response.status_code == status
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert response.json()["code"]


def test_origin_regexes_allow_matching_origins_only(api_client, settings):
    settings.CORS_ALLOWED_ORIGIN_REGEXES = [r"^https://[a-z0-9-]+\.preview\.example\.com$"]

    preview = api_client.get("/api/v1/products/", HTTP_ORIGIN="https://pr-42.preview.example.com")
    lookalike = api_client.get(
        "/api/v1/products/", HTTP_ORIGIN="https://pr-42.preview.example.com.evil.net"
    )

    assert preview["Access-Control-Allow-Origin"] == "https://pr-42.preview.example.com"
    assert "Access-Control-Allow-Origin" not in lookalike


def test_credentials_can_be_turned_on(api_client, settings):
    settings.CORS_ALLOW_CREDENTIALS = True

    response = api_client.get("/api/v1/products/", HTTP_ORIGIN=FRONTEND)

    assert response["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize("path", ["/admin/login/", "/health/", "/metrics"])
def test_cors_covers_the_api_only(client, path):
    response = client.get(path, HTTP_ORIGIN=FRONTEND)

    assert "Access-Control-Allow-Origin" not in response
