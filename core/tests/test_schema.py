"""The OpenAPI schema states what the server does: the errors it can answer, the limits
it enforces, the fields it may leave out."""

import re

import pytest

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
