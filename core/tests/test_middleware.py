import json

import pytest
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory

from core.middleware import ApiErrorPagesMiddleware, PrivateResponseCacheMiddleware


@pytest.fixture
def rf():
    return RequestFactory()


# --- PrivateResponseCacheMiddleware, through real URLs ----------------------------------


@pytest.mark.django_db
def test_authenticated_api_answer_is_not_stored(client_for, user):
    response = client_for(user).get("/api/schema/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_anonymous_api_get_may_be_cached(api_client):
    response = api_client.get("/api/schema/")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Authorization" in response["Vary"]


@pytest.mark.django_db
def test_even_a_refused_request_with_credentials_is_not_stored(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_anonymous_write_is_not_stored(api_client):
    response = api_client.post("/api/schema/", {}, format="json")

    assert "no-store" in response["Cache-Control"]


def test_cart_token_makes_an_answer_private(rf):
    middleware = PrivateResponseCacheMiddleware(lambda request: JsonResponse({}))

    response = middleware(rf.get("/api/v1/cart/", HTTP_X_CART_TOKEN="abc"))

    assert "no-store" in response["Cache-Control"]
    assert "X-Cart-Token" in response["Vary"]


def test_non_api_paths_are_left_alone(rf):
    middleware = PrivateResponseCacheMiddleware(lambda request: HttpResponse("ok"))

    response = middleware(rf.get("/admin/", HTTP_AUTHORIZATION="Bearer x"))

    assert "Cache-Control" not in response


# --- ApiErrorPagesMiddleware -------------------------------------------------------


def _html(status, **headers):
    response = HttpResponse("<h1>Error</h1>", status=status, content_type="text/html")
    for name, value in headers.items():
        response[name] = value
    return response


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "validation_error"),
        (403, "permission_denied"),
        (404, "not_found"),
        (405, "method_not_allowed"),
        (413, "request_too_large"),
        (500, "server_error"),
    ],
)
def test_html_error_pages_become_json(rf, settings, status, code):
    settings.DEBUG = False
    middleware = ApiErrorPagesMiddleware(lambda request: _html(status))

    response = middleware(rf.get("/api/v1/products/"))

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == code


def test_allow_retry_after_and_caching_headers_survive(rf):
    page = _html(405, Allow="GET", **{"Retry-After": "3", "Cache-Control": "no-store"})
    page["Vary"] = "Authorization"
    middleware = ApiErrorPagesMiddleware(lambda r: page)

    response = middleware(rf.put("/health/"))

    assert response["Allow"] == "GET"
    assert response["Retry-After"] == "3"
    assert response["Cache-Control"] == "no-store"
    assert response["Vary"] == "Authorization"


def test_successes_json_errors_and_admin_pages_are_untouched(rf):
    ok = HttpResponse("fine")
    json_error = JsonResponse({"code": "conflict", "detail": "x"}, status=409)
    admin_page = _html(404)

    assert ApiErrorPagesMiddleware(lambda r: ok)(rf.get("/")) is ok
    assert ApiErrorPagesMiddleware(lambda r: json_error)(rf.get("/api/")) is json_error
    assert ApiErrorPagesMiddleware(lambda r: admin_page)(rf.get("/admin/x/")) is admin_page


def test_debug_keeps_the_traceback_page_of_a_500(rf, settings):
    settings.DEBUG = True
    page = _html(500)

    assert ApiErrorPagesMiddleware(lambda r: page)(rf.get("/api/")) is page
