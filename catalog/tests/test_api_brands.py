import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Brand
from catalog.tests.factories import BrandFactory, ProductFactory, make_image_file
from catalog.tests.helpers import BRANDS, assert_validation_error

pytestmark = pytest.mark.django_db


def brand_url(brand) -> str:
    return f"{BRANDS}{brand.pk}/"


def test_anyone_lists_brands_by_name(api_client):
    BrandFactory(name="Zeta", slug="zeta", description="Z.")
    BrandFactory(name="Alpha", slug="alpha")

    response = api_client.get(BRANDS)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["slug"] for item in results] == ["alpha", "zeta"]
    assert set(results[0]) == {
        "id", "name", "slug", "description", "logo", "created_at", "updated_at",
    }  # fmt: skip


def test_brand_detail_and_404s(api_client):
    brand = BrandFactory()

    assert api_client.get(brand_url(brand)).json()["name"] == brand.name
    assert api_client.get(f"{BRANDS}123/").status_code == 404
    assert api_client.get(f"{BRANDS}7f0c2d6e-1111-4a4a-9b9b-222233334444/").status_code == 404


def test_brand_search(api_client):
    BrandFactory(name="La Roche-Posay", slug="lrp")
    BrandFactory(name="Avene", slug="avene")

    results = api_client.get(BRANDS, {"search": "roche"}).json()["results"]

    assert [item["slug"] for item in results] == ["lrp"]


@pytest.mark.parametrize("count", [5, 50])
def test_brand_list_costs_two_queries_whatever_the_page_size(
    api_client, django_assert_num_queries, count
):
    BrandFactory.create_batch(count)

    with django_assert_num_queries(2):
        response = api_client.get(BRANDS, {"page_size": 100})

    assert len(response.json()["results"]) == count


def test_staff_creates_a_brand_with_logo_and_generated_slug(staff_client):
    response = staff_client.post(
        BRANDS,
        {"name": "Bioderma Labs", "description": "French.", "logo": make_image_file()},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "bioderma-labs"
    assert body["logo"].startswith("http://testserver/media/brands/")


def test_brand_name_must_be_unique_case_insensitively(staff_client):
    BrandFactory(name="CeraVe")

    assert_validation_error(staff_client.post(BRANDS, {"name": "cerave"}), "name")


def test_brand_logo_must_be_a_real_image(staff_client):
    fake = SimpleUploadedFile("logo.png", b"GIF89a but not really", content_type="image/png")

    response = staff_client.post(BRANDS, {"name": "X", "logo": fake}, format="multipart")

    assert_validation_error(response, "logo")
    assert not Brand.objects.exists()


def test_oversize_brand_logo_is_refused(staff_client, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 50

    response = staff_client.post(
        BRANDS, {"name": "X", "logo": make_image_file()}, format="multipart"
    )

    assert_validation_error(response, "logo")


def test_staff_updates_a_brand(staff_client):
    brand = BrandFactory(name="Old", slug="old")

    response = staff_client.patch(brand_url(brand), {"name": "New", "slug": "new"})

    assert response.status_code == 200
    brand.refresh_from_db()
    assert (brand.name, brand.slug) == ("New", "new")


def test_brand_keeps_its_name_on_update_without_clashing_with_itself(staff_client):
    brand = BrandFactory(name="Same")

    assert staff_client.put(brand_url(brand), {"name": "Same"}).status_code == 200


def test_customer_seller_and_anonymous_cannot_write_brands(user_client, seller_client, api_client):
    brand = BrandFactory(name="Keep")

    for client in (user_client, seller_client):
        assert client.post(BRANDS, {"name": "X"}).status_code == 403
        assert client.patch(brand_url(brand), {"name": "Y"}).status_code == 403
        assert client.delete(brand_url(brand)).status_code == 403
    assert api_client.post(BRANDS, {"name": "X"}).status_code == 401
    brand.refresh_from_db()
    assert brand.name == "Keep"


def test_staff_deletes_an_unused_brand(staff_client):
    brand = BrandFactory()

    assert staff_client.delete(brand_url(brand)).status_code == 204
    assert not Brand.objects.filter(pk=brand.pk).exists()


def test_deleting_a_brand_with_products_is_a_conflict(staff_client):
    brand = BrandFactory()
    ProductFactory(brand=brand)

    response = staff_client.delete(brand_url(brand))

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Brand.objects.filter(pk=brand.pk).exists()
