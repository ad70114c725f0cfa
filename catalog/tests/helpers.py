"""Small helpers shared by the catalog API tests."""

PRODUCTS = "/api/v1/products/"
CATEGORIES = "/api/v1/categories/"
BRANDS = "/api/v1/brands/"


def product_url(product) -> str:
    return f"{PRODUCTS}{product.pk}/"


def images_url(product) -> str:
    return f"{PRODUCTS}{product.pk}/images/"


def assert_validation_error(response, *fields):
    """The SPEC error shape with a message for each named field."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"]
    for field in fields:
        assert body["errors"].get(field), body
    return body
