"""The cart's OpenAPI documentation: the X-Cart-Token header both ways."""

import pytest
from drf_spectacular.generators import SchemaGenerator

OPERATIONS = [
    ("/api/v1/cart/", "get"),
    ("/api/v1/cart/", "post"),
    ("/api/v1/cart/", "delete"),
    ("/api/v1/cart/{item_id}/", "put"),
    ("/api/v1/cart/{item_id}/", "patch"),
    ("/api/v1/cart/{item_id}/", "delete"),
]


@pytest.fixture(scope="module")
def paths():
    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_cart_operation_documents_the_token_request_header(paths, path, method):
    parameters = paths[path][method]["parameters"]

    assert {"in": "header", "name": "X-Cart-Token"}.items() <= next(
        p for p in parameters if p["name"] == "X-Cart-Token"
    ).items()


@pytest.mark.parametrize(("path", "method"), [op for op in OPERATIONS if op[1] != "delete"])
def test_cart_answers_document_the_token_response_header(paths, path, method):
    ok = paths[path][method]["responses"]["200"]

    assert "X-Cart-Token" in ok["headers"]
    assert ok["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Cart"


@pytest.mark.parametrize(("path", "method"), [op for op in OPERATIONS if op[1] == "delete"])
def test_cart_deletes_document_a_204(paths, path, method):
    assert "204" in paths[path][method]["responses"]
