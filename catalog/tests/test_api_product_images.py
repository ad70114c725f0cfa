import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import ProductImage
from catalog.tests.factories import ProductFactory, ProductImageFactory, make_image_file
from catalog.tests.helpers import assert_validation_error, images_url, product_url

pytestmark = pytest.mark.django_db


def image_url(product, image) -> str:
    return f"{images_url(product)}{image.pk}/"


def upload(client, product, **fields):
    fields.setdefault("image", make_image_file())
    return client.post(images_url(product), fields, format="multipart")


@pytest.fixture
def product(seller):
    return ProductFactory(created_by=seller)


def test_seller_uploads_an_image_and_the_first_becomes_primary(seller_client, product):
    response = upload(seller_client, product, alt_text="Front of the bottle")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_primary"] is True
    assert body["alt_text"] == "Front of the bottle"
    assert body["image"].startswith("http://testserver/media/products/")
    image = ProductImage.objects.get(pk=body["id"])
    assert image.product == product
    assert image.image.storage.exists(image.image.name)


def test_later_images_are_not_primary_unless_asked(seller_client, product):
    first = upload(seller_client, product).json()
    second = upload(seller_client, product).json()

    assert second["is_primary"] is False
    assert second["position"] > first["position"]
    assert ProductImage.objects.get(pk=first["id"]).is_primary is True


def test_making_an_image_primary_unsets_the_previous_primary(seller_client, product):
    first = upload(seller_client, product).json()

    second = upload(seller_client, product, is_primary="true").json()

    assert second["is_primary"] is True
    assert ProductImage.objects.get(pk=first["id"]).is_primary is False
    assert ProductImage.objects.filter(product=product, is_primary=True).count() == 1


def test_product_detail_lists_images_primary_first(seller_client, api_client, product):
    upload(seller_client, product)
    upload(seller_client, product)
    new_primary = upload(seller_client, product, is_primary=True).json()

    images = api_client.get(product_url(product)).json()["images"]

    assert images[0]["id"] == new_primary["id"]
    assert len(images) == 3


def test_upload_is_stored_under_a_random_name_with_its_real_extension(seller_client, product):
    gif_named_png = make_image_file(name="../../evil.png", fmt="GIF")

    body = upload(seller_client, product, image=gif_named_png).json()

    stored = ProductImage.objects.get(pk=body["id"]).image.name
    assert stored.endswith(".gif")
    assert "evil" not in stored
    assert ".." not in stored


def test_non_image_bytes_named_png_are_refused(seller_client, product):
    fake = SimpleUploadedFile("photo.png", b"<?php system($_GET['c']); ?>", "image/png")

    response = upload(seller_client, product, image=fake)

    assert_validation_error(response, "image")
    assert not ProductImage.objects.exists()


def test_oversize_image_is_refused(seller_client, product, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 100

    response = upload(seller_client, product, image=make_image_file(size=(64, 64)))

    body = assert_validation_error(response, "image")
    assert "too large" in body["errors"]["image"][0]
    assert not ProductImage.objects.exists()


def test_missing_image_is_a_validation_error(seller_client, product):
    response = seller_client.post(images_url(product), {"alt_text": "x"}, format="multipart")

    assert_validation_error(response, "image")


def test_json_upload_is_415(seller_client, product):
    response = seller_client.post(images_url(product), {"image": "aGVsbG8="}, format="json")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_image_count_per_product_is_capped(seller_client, product, monkeypatch):
    monkeypatch.setattr("catalog.services.MAX_IMAGES_PER_PRODUCT", 2)
    upload(seller_client, product)
    upload(seller_client, product)

    assert_validation_error(upload(seller_client, product), "image")
    assert product.images.count() == 2


def test_other_seller_cannot_upload(other_seller_client, product):
    assert upload(other_seller_client, product).status_code == 403
    assert not ProductImage.objects.exists()


def test_customer_and_anonymous_cannot_upload(user_client, api_client, product):
    assert upload(user_client, product).status_code == 403
    assert upload(api_client, product).status_code == 401
    assert not ProductImage.objects.exists()


def test_staff_can_upload_to_any_product(staff_client, product):
    assert upload(staff_client, product).status_code == 201


def test_upload_to_invisible_or_deleted_product_is_404(other_seller_client, seller_client, seller):
    hidden = ProductFactory(is_active=False)
    deleted = ProductFactory(created_by=seller, is_deleted=True)

    assert upload(other_seller_client, hidden).status_code == 404
    assert upload(seller_client, deleted).status_code == 404


def test_get_on_images_is_405(api_client, product):
    response = api_client.get(images_url(product))

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_owner_deletes_an_image_and_its_file_after_commit(
    seller_client, product, django_capture_on_commit_callbacks
):
    body = upload(seller_client, product).json()
    image = ProductImage.objects.get(pk=body["id"])
    storage, name = image.image.storage, image.image.name

    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.delete(image_url(product, image))
        assert storage.exists(name)  # not before the row is gone for good

    assert response.status_code == 204
    assert not ProductImage.objects.filter(pk=image.pk).exists()
    assert not storage.exists(name)


def test_deleting_the_primary_image_promotes_the_next(seller_client, product):
    primary = ProductImage.objects.get(pk=upload(seller_client, product).json()["id"])
    second = upload(seller_client, product).json()
    upload(seller_client, product)

    assert seller_client.delete(image_url(product, primary)).status_code == 204

    assert ProductImage.objects.get(pk=second["id"]).is_primary is True
    assert ProductImage.objects.filter(product=product, is_primary=True).count() == 1


def test_deleting_an_image_of_another_product_is_404(seller_client, seller, product):
    elsewhere = ProductImageFactory(product=ProductFactory(created_by=seller))

    assert seller_client.delete(image_url(product, elsewhere)).status_code == 404
    assert ProductImage.objects.filter(pk=elsewhere.pk).exists()


def test_deleting_an_unknown_or_malformed_image_id_is_404(seller_client, product):
    unknown = f"{images_url(product)}7f0c2d6e-1111-4a4a-9b9b-222233334444/"
    malformed = f"{images_url(product)}------------------------------------/"

    assert seller_client.delete(unknown).status_code == 404
    assert seller_client.delete(malformed).status_code == 404


def test_other_seller_customer_and_anonymous_cannot_delete_an_image(
    other_seller_client, user_client, api_client, product
):
    image = ProductImageFactory(product=product, is_primary=True)

    assert other_seller_client.delete(image_url(product, image)).status_code == 403
    assert user_client.delete(image_url(product, image)).status_code == 403
    assert api_client.delete(image_url(product, image)).status_code == 401
    assert ProductImage.objects.filter(pk=image.pk).exists()


def test_staff_can_delete_any_image(staff_client, product):
    image = ProductImageFactory(product=product, is_primary=True)

    assert staff_client.delete(image_url(product, image)).status_code == 204


def _bomb_png(side: int) -> SimpleUploadedFile:
    """A few KB of PNG that decodes to side x side pixels."""
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG", optimize=True)
    return SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")


def test_a_tiny_png_that_decodes_to_40_megapixels_is_refused(seller_client, product):
    bomb = _bomb_png(6300)
    assert bomb.size < 10_000

    response = upload(seller_client, product, image=bomb)

    body = assert_validation_error(response, "image")
    assert "6300x6300" in body["errors"]["image"][0]
    assert not ProductImage.objects.exists()


def test_the_pixel_cap_is_a_setting(seller_client, product, settings):
    settings.MAX_IMAGE_PIXELS = 32 * 32 - 1

    refused = upload(seller_client, product, image=make_image_file(size=(32, 32)))
    settings.MAX_IMAGE_PIXELS = 32 * 32
    accepted = upload(seller_client, product, image=make_image_file(size=(32, 32)))

    assert_validation_error(refused, "image")
    assert accepted.status_code == 201
