"""The OpenAPI documentation of coupons, the cart's coupon and product promotions."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def paths():
    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/v1/coupons/", "get", {"200", "400", "401", "403"}),
        ("/api/v1/coupons/", "post", {"201", "400", "401", "403", "409"}),
        ("/api/v1/coupons/{id}/", "patch", {"200", "400", "401", "403", "404", "409"}),
        ("/api/v1/coupons/{id}/", "delete", {"204", "401", "403", "404", "409"}),
        ("/api/v1/cart/coupon/", "post", {"200", "400", "401", "409"}),
        ("/api/v1/cart/coupon/", "delete", {"200", "401", "409"}),
        ("/api/v1/products/{id}/discount/", "put", {"200", "400", "401", "403", "404"}),
        ("/api/v1/products/{id}/discount/", "delete", {"204", "401", "403", "404"}),
    ],
)
def test_new_operations_document_their_answers(paths, path, method, codes):
    assert codes <= set(paths[path][method]["responses"])


def test_the_cart_coupon_refusal_documents_its_reason(paths):
    refusal = paths["/api/v1/cart/coupon/"]["post"]["responses"]["400"]

    assert refusal["content"]["application/json"]["schema"]["$ref"].endswith("CouponError")
    assert "X-Cart-Token" in {
        p["name"] for p in paths["/api/v1/cart/coupon/"]["post"]["parameters"]
    }


def test_times_used_is_not_accepted_on_write():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    request = schema["components"]["schemas"]["CouponInputRequest"]["properties"]

    assert "times_used" not in request
    assert "code" in request
