"""Bodies over the limit, too many fields and deeply nested JSON: a 4xx in the error
shape, never a 500, and an oversize body is refused before it is read."""

import io

import pytest
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent

from catalog.tests.factories import ProductFactory
from core.exceptions import exception_handler

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024
DEEP = "[" * 100_000


class ExplodingStream(io.RawIOBase):
    """A wsgi.input that fails the test if more than a few bytes are read from it."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def read(self, size=-1):
        self.read_bytes += size if size and size > 0 else 10**9
        if self.read_bytes > 16:
            raise AssertionError("the body was read")
        return b"x" * size

    def readline(self, size=-1):
        return self.read(size)


def _assert_too_large(response):
    assert response.status_code == 413, response.content
    body = response.json()
    assert body["code"] == "request_too_large"
    assert "too large" in body["detail"]


def test_a_50_mib_multipart_body_is_refused_before_it_is_read(api_client):
    product = ProductFactory()
    stream = ExplodingStream()

    response = api_client.generic(
        "POST",
        f"/api/v1/products/{product.pk}/images/",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(50 * MiB),
        **{"wsgi.input": stream},
    )

    _assert_too_large(response)
    assert stream.read_bytes == 0


def test_a_json_body_over_the_json_limit_is_refused_before_it_is_read(api_client, settings):
    stream = ExplodingStream()

    response = api_client.generic(
        "POST",
        "/api/v1/auth/register/",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BODY_BYTES + 1),
        **{"wsgi.input": stream},
    )

    _assert_too_large(response)
    assert stream.read_bytes == 0


@pytest.mark.urls("core.tests.urls")
def test_a_json_body_at_the_limit_is_read(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 64
    body = b'{"a": "' + b"x" * 55 + b'"}'
    assert len(body) == 64

    response = api_client.post("/echo/", body, content_type="application/json")

    assert response.status_code == 200
    assert response.json() == {"received": {"a": "x" * 55}}


@pytest.mark.urls("core.tests.urls")
def test_a_multipart_body_may_be_larger_than_a_json_body(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 64
    settings.MAX_MULTIPART_BODY_BYTES = 4096

    response = api_client.post("/echo/", {"note": "y" * 1000}, format="multipart")

    assert response.status_code == 200
    assert response.json()["received"] == {"note": "y" * 1000}


@pytest.mark.urls("core.tests.urls")
def test_a_chunked_body_over_the_limit_is_cut_off_at_the_limit(api_client, settings):
    # No Content-Length: the server ends the stream itself (wsgi.input_terminated).
    settings.MAX_REQUEST_BODY_BYTES = 100
    response = api_client.generic(
        "POST",
        "/raw/",
        content_type="application/json",
        CONTENT_LENGTH="",
        **{"wsgi.input": io.BytesIO(b"x" * 5000), "wsgi.input_terminated": True},
    )

    _assert_too_large(response)


@pytest.mark.urls("core.tests.urls")
def test_a_chunked_body_within_the_limit_is_read_whole(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    response = api_client.generic(
        "POST",
        "/raw/",
        content_type="application/json",
        CONTENT_LENGTH="",
        **{"wsgi.input": io.BytesIO(b"x" * 100), "wsgi.input_terminated": True},
    )

    assert response.status_code == 200
    assert response.json() == {"length": 100}


def test_a_content_length_that_is_not_a_number_is_a_400(api_client):
    response = api_client.generic(
        "POST", "/api/v1/auth/register/", content_type="application/json", CONTENT_LENGTH="lots"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "Content-Length" in response.json()["errors"]["non_field_errors"][0]


@pytest.mark.urls("core.tests.urls")
def test_request_data_too_big_outside_drf_is_a_413(api_client, settings):
    # Django's own check (DATA_UPLOAD_MAX_MEMORY_SIZE) raised in a plain view.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    response = api_client.post("/raw/", b"x" * 100, content_type="application/octet-stream")

    _assert_too_large(response)


@pytest.mark.urls("core.tests.urls")
def test_too_many_form_fields_outside_drf_is_a_400(api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = "&".join(f"f{i}=1" for i in range(10))

    response = api_client.post("/form/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"] == {"non_field_errors": ["Too many fields or query parameters."]}


@pytest.mark.urls("core.tests.urls")
def test_too_many_form_fields_in_a_drf_view_is_a_400(api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = "&".join(f"f{i}=1" for i in range(10))

    response = api_client.post("/echo/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Too many fields or query parameters."]
    }


def test_too_many_query_parameters_is_a_400(api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    query = "&".join(f"p{i}=1" for i in range(10))

    response = api_client.get(f"/api/v1/products/?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("exc", "status"),
    [(RequestDataTooBig(), 413), (TooManyFieldsSent(), 400), (TooManyFilesSent(), 400)],
)
def test_the_handler_maps_what_django_refuses_while_reading(exc, status):
    response = exception_handler(exc, {"view": None, "request": None})

    assert response.status_code == status
    assert response.data["code"] == ("request_too_large" if status == 413 else "validation_error")


# --- deeply nested JSON ---------------------------------------------------------------


def test_deeply_nested_json_to_a_json_endpoint_is_a_400(api_client):
    response = api_client.post("/api/v1/auth/register/", DEEP, content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "nested too deeply" in body["errors"]["non_field_errors"][0]


def test_deeply_nested_json_to_the_cart_is_a_400(api_client):
    response = api_client.post("/api/v1/cart/", DEEP, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_deeply_nested_json_to_a_multipart_endpoint_is_refused(seller_client, seller):
    product = ProductFactory(created_by=seller)

    response = seller_client.post(
        f"/api/v1/products/{product.pk}/images/", DEEP, content_type="application/json"
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_deeply_nested_text_in_a_multipart_body_is_a_400(seller_client, seller):
    product = ProductFactory(created_by=seller)

    response = seller_client.post(
        f"/api/v1/products/{product.pk}/images/",
        {"alt_text": DEEP, "image": DEEP},
        format="multipart",
    )

    assert response.status_code == 400
    assert {"image", "alt_text"} <= set(response.json()["errors"])


def test_deeply_nested_json_to_an_endpoint_taking_json_and_multipart_is_a_400(user_client):
    response = user_client.patch("/api/v1/users/me/", DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


# --- strings no field can hold ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "a\\u0000b@example.com", "password": "x"}',
        '{"email": "a\\ud800b@example.com", "password": "x"}',
        '{"\\udc00": 1, "email": "a@example.com", "password": "x"}',
        '{"email": "a@example.com", "password": "x", "extra": [[{"k": ["\\u0000"]}]]}',
    ],
    ids=["nul", "lone-high-surrogate", "surrogate-in-a-key", "nul-deep-inside"],
)
def test_a_string_no_field_can_hold_is_a_400_wherever_it_is(api_client, body):
    response = api_client.post("/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "NUL characters or unpaired surrogates" in response.json()["detail"]


@pytest.mark.urls("core.tests.urls")
def test_a_surrogate_pair_is_an_ordinary_character(api_client):
    response = api_client.post(
        "/echo/", '{"note": "\\ud83d\\ude00"}', content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json() == {"received": {"note": "\N{GRINNING FACE}"}}
