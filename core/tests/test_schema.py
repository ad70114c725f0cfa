"""The OpenAPI schema states what the server does: the errors it can answer, the limits
it enforces, the fields it may leave out."""

import re

import pytest
from django.urls import URLResolver, get_resolver

from core.routing import UUID_REGEX

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/schema/", {"format": "json"}).json()


def _operation(schema, path, method):
    return schema["paths"][f"/api/v1/{path}"][method]


def _component(schema, ref_holder):
    ref = ref_holder["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_every_validation_error_answer_requires_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            response = (
                operation.get("responses", {}).get("400") if isinstance(operation, dict) else None
            )
            if response is None or "content" not in response:
                continue
            component = _component(schema, response)
            assert "errors" in component.get("required", []), (method, path)


def test_public_reads_document_the_401_of_a_bad_token(schema):
    for path in ["products/", "products/{id}/", "categories/", "reviews/", "cart/"]:
        assert "401" in _operation(schema, path, "get")["responses"], path


def test_paginated_lists_document_invalid_page_and_bound_their_parameters(schema):
    operation = _operation(schema, "products/", "get")
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}

    assert "Invalid page." in operation["responses"]["404"]["description"]
    assert parameters["page"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1}


def test_request_limits_enforced_by_serializers_are_in_the_schema(schema):
    components = schema["components"]["schemas"]
    price = re.compile(components["ProductInputRequest"]["properties"]["price"]["pattern"])
    percent = re.compile(
        components["ProductDiscountInputRequest"]["properties"]["discount_percent"]["pattern"]
    )
    limit = _operation(schema, "products/{id}/recommendations/", "get")["parameters"]

    assert [bool(price.fullmatch(v)) for v in ["0", "0.00", "-1", "0.01", "9999999999.99"]] == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert not price.fullmatch("12345678901")
    assert [bool(percent.fullmatch(v)) for v in ["0", "100", "99.99", "12.5"]] == [
        False,
        False,
        True,
        True,
    ]
    assert next(p for p in limit if p["name"] == "limit")["schema"]["minimum"] == 1


def test_a_staff_only_field_is_not_required(schema):
    payment = schema["components"]["schemas"]["Payment"]

    assert "needs_review" in payment["properties"]
    assert "needs_review" not in payment["required"]


def test_a_patch_that_takes_the_whole_input_documents_its_required_fields(schema):
    body = _operation(schema, "cart/{item_id}/", "patch")["requestBody"]

    assert body["required"] is True
    assert _component(schema, body)["required"] == ["quantity"]


def test_a_validator_can_state_its_constraint(schema):
    country = schema["components"]["schemas"]["CountryCodeEnum"]

    assert "US" in country["enum"] and "XX" not in country["enum"]


def test_filters_keep_their_description_with_their_own_schema(schema):
    parameters = {p["name"]: p for p in _operation(schema, "products/", "get")["parameters"]}

    assert parameters["min_price"]["description"] == "Effective price at least."
    assert parameters["brand"]["schema"]["pattern"] == "^[-a-zA-Z0-9_]+$"


UPLOADS = {
    # (path, method): the content types of its body; everything else is JSON only.
    ("/api/v1/categories/", "post"),
    ("/api/v1/categories/{id}/", "put"),
    ("/api/v1/categories/{id}/", "patch"),
    ("/api/v1/brands/", "post"),
    ("/api/v1/brands/{id}/", "put"),
    ("/api/v1/brands/{id}/", "patch"),
    ("/api/v1/users/me/", "patch"),
    ("/api/v1/stores/me/", "patch"),
    ("/api/v1/conversations/{id}/messages/", "post"),
}


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_request_bodies_are_json_only_except_image_uploads(schema):
    for path, method, operation in _operations(schema):
        body = operation.get("requestBody")
        if body is None:
            continue
        types = set(body["content"])
        if (path, method) in UPLOADS:
            assert types == {"application/json", "multipart/form-data"}, (method, path)
        elif path in ("/api/v1/products/{id}/images/", "/api/v1/users/me/skin-analyses/"):
            assert types == {"multipart/form-data"}
        else:
            assert types == {"application/json"}, (method, path, types)


def test_every_operation_has_a_summary_and_every_tag_a_description(schema):
    described = {tag["name"]: tag.get("description") for tag in schema.get("tags", [])}
    for path, method, operation in _operations(schema):
        assert operation.get("summary"), (method, path)
        assert "categorie " not in operation["summary"], (method, path)
        for tag in operation.get("tags", []):
            assert described.get(tag), f"tag {tag!r} has no description"


def test_component_names_stay_distinct_once_normalised(schema):
    # Client generators turn names into identifiers: two names that normalise alike would
    # become one class.
    seen = {}
    for name in schema["components"]["schemas"]:
        key = re.sub(r"[^a-z0-9]", "", name.lower())
        assert key not in seen, (name, seen.get(key))
        seen[key] = name


def test_the_main_requests_carry_examples(schema):
    for path, method in [
        ("auth/register/", "post"),
        ("auth/token/", "post"),
        ("products/", "post"),
        ("cart/", "post"),
        ("orders/", "post"),
        ("payments/", "post"),
    ]:
        body = _operation(schema, path, method)["requestBody"]["content"]["application/json"]
        assert body.get("examples"), (method, path)


def test_a_form_body_to_a_json_endpoint_is_415_in_the_error_shape(client):
    response = client.post(
        "/api/v1/auth/register/",
        "email=ada%40example.com&password=Correct-horse-42",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_an_image_upload_endpoint_still_takes_multipart(client_for, staff):
    from catalog.tests.factories import make_image_file

    response = client_for(staff).post(
        "/api/v1/brands/",
        {"name": "Multipart Brand", "logo": make_image_file()},
        format="multipart",
    )

    assert response.status_code == 201, response.json()


def test_an_upload_body_has_a_component_per_content_type_and_is_not_required(schema):
    body = _operation(schema, "brands/", "post")["requestBody"]

    assert "required" not in body
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/BrandInputRequest")
    assert body["content"]["multipart/form-data"]["schema"]["$ref"].endswith(
        "/BrandInputMultipartRequest"
    )


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("stores/me/", "get"),
        ("seller/balance/", "get"),
        ("seller/ledger/export/", "get"),
        ("seller/fulfilments/", "get"),
        ("seller/availability/", "put"),
        ("consultation-services/", "post"),
    ],
)
def test_what_needs_the_caller_s_own_store_documents_its_404(schema, path, method):
    assert "404" in _operation(schema, path, method)["responses"]


@pytest.mark.parametrize(
    ("path", "method"),
    [("products/suggest/", "get"), ("products/facets/", "get")],
)
def test_a_get_with_validated_query_parameters_documents_its_400(schema, path, method):
    assert "400" in _operation(schema, path, method)["responses"]


def _route_patterns(patterns, prefix=""):
    for pattern in patterns:
        here = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _route_patterns(pattern.url_patterns, here)
        else:
            yield here


def test_every_object_id_in_a_route_is_a_uuid():
    # A malformed id must not match a route (a 404) rather than reach a UUID column (a 400
    # or worse): the API router gives every ViewSet without a pattern of its own the UUID
    # one, and only stores are looked up by slug.
    ids = [
        route
        for route in _route_patterns(get_resolver().url_patterns)
        if route.startswith("api/v1/") and "(?P<pk>" in route
    ]

    assert ids
    assert [route for route in ids if f"(?P<pk>{UUID_REGEX})" not in route] == []
