"""Every error answer has the SPEC shape, whatever layer refused the request."""

import json

import pytest

pytestmark = pytest.mark.django_db


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize("url", ["/no-such-page/", "/api/v1/no-such-resource/", "/api/nope"])
def test_unknown_url_is_a_json_404(api_client, url):
    response = api_client.get(url)

    body = assert_error(response, 404, "not_found")
    assert "errors" not in body


def test_wrong_method_is_a_json_405_with_allow_header(api_client):
    response = api_client.put("/health/", {}, format="json")

    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_delete_on_health_is_405(api_client):
    assert_error(api_client.delete("/health/"), 405, "method_not_allowed")


@pytest.mark.urls("core.tests.urls")
def test_malformed_json_is_a_400_validation_error(api_client):
    response = api_client.post("/echo/", data="{bad", content_type="application/json")

    body = assert_error(response, 400, "validation_error")
    assert "JSON" in body["detail"]


@pytest.mark.urls("core.tests.urls")
def test_wrong_content_type_is_a_415(api_client):
    response = api_client.post("/echo/", data="hello", content_type="text/plain")

    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.urls("core.tests.urls")
def test_well_formed_json_passes_through(api_client):
    response = api_client.post("/echo/", {"a": 1}, format="json")

    assert response.status_code == 200
    assert response.json() == {"received": {"a": 1}}


@pytest.mark.urls("core.tests.urls")
def test_unexpected_error_in_a_view_is_a_json_500(api_client, caplog):
    response = api_client.get("/boom/")

    body = assert_error(response, 500, "server_error")
    assert "boom" not in body["detail"]  # internals never leak
    assert "Unhandled error in BoomView" in caplog.text


def test_malformed_json_to_register_is_a_400(api_client):
    response = api_client.post(
        "/api/v1/auth/register/", data="{bad", content_type="application/json"
    )

    assert_error(response, 400, "validation_error")


def test_text_body_to_register_is_a_415(api_client):
    response = api_client.post(
        "/api/v1/auth/register/", data="email=a@b.c", content_type="text/plain"
    )

    assert_error(response, 415, "unsupported_media_type")


def test_disallowed_host_is_a_json_400(client):
    response = client.get("/health/", HTTP_HOST="evil.example.net")

    assert_error(response, 400, "validation_error")


@pytest.mark.parametrize(
    ("handler", "status", "code"),
    [
        ("bad_request", 400, "validation_error"),
        ("permission_denied", 403, "permission_denied"),
        ("page_not_found", 404, "not_found"),
        ("server_error", 500, "server_error"),
    ],
)
def test_django_error_handlers_answer_json(rf, handler, status, code):
    from core import views

    response = getattr(views, handler)(rf.get("/anything/"))

    assert response.status_code == status
    body = json.loads(response.content)
    # A validation error always names what was wrong, under `errors`.
    expected = {"code", "detail", "errors"} if code == "validation_error" else {"code", "detail"}
    assert set(body) == expected
    assert body["code"] == code
    assert body["detail"]


def test_an_unknown_host_gets_a_json_400_and_no_debug_page(client, settings):
    settings.DEBUG = False

    response = client.get("/api/v1/products/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "validation_error"
    assert b"DATABASE" not in response.content
