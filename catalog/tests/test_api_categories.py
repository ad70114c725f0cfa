import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Category
from catalog.tests.factories import CategoryFactory, ProductFactory, make_image_file
from catalog.tests.helpers import CATEGORIES, assert_validation_error

pytestmark = pytest.mark.django_db


def category_url(category) -> str:
    return f"{CATEGORIES}{category.pk}/"


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


# --- reading ----------------------------------------------------------------------------


def test_anyone_lists_categories_with_parent_and_children_summaries(api_client):
    skincare = CategoryFactory(name="Skincare", slug="skincare", description="All skin.")
    CategoryFactory(name="Serums", slug="serums", parent=skincare)

    response = api_client.get(CATEGORIES)

    assert response.status_code == 200
    by_slug = {item["slug"]: item for item in response.json()["results"]}
    assert by_slug["skincare"]["parent"] is None
    assert by_slug["skincare"]["description"] == "All skin."
    assert by_slug["skincare"]["children"] == [
        {"id": str(Category.objects.get(slug="serums").pk), "name": "Serums", "slug": "serums"}
    ]
    assert by_slug["serums"]["parent"] == str(skincare.pk)
    assert by_slug["serums"]["children"] == []


def test_category_detail(api_client):
    category = CategoryFactory()

    response = api_client.get(category_url(category))

    assert response.status_code == 200
    assert response.json()["id"] == str(category.pk)


def test_malformed_and_unknown_category_ids_are_404(api_client):
    assert api_client.get(f"{CATEGORIES}nope/").status_code == 404
    assert api_client.get(f"{CATEGORIES}7f0c2d6e-1111-4a4a-9b9b-222233334444/").status_code == 404


def test_parent_filter_lists_the_children_of_a_category(api_client):
    root = CategoryFactory(slug="root")
    CategoryFactory(slug="child", parent=root)
    CategoryFactory(slug="other-root")

    assert slugs(api_client.get(CATEGORIES, {"parent": str(root.pk)})) == ["child"]


def test_parent_null_lists_top_level_categories(api_client):
    root = CategoryFactory(slug="root")
    CategoryFactory(slug="child", parent=root)
    CategoryFactory(slug="other-root")

    assert sorted(slugs(api_client.get(CATEGORIES, {"parent": "null"}))) == ["other-root", "root"]


def test_malformed_parent_filter_is_a_validation_error(api_client):
    assert_validation_error(api_client.get(CATEGORIES, {"parent": "abc"}), "parent")


def test_category_search_by_name(api_client):
    CategoryFactory(name="Sunscreens", slug="sunscreens")
    CategoryFactory(name="Cleansers", slug="cleansers")

    assert slugs(api_client.get(CATEGORIES, {"search": "SUN"})) == ["sunscreens"]


@pytest.mark.parametrize("count", [5, 50])
def test_category_list_costs_three_queries_whatever_the_page_size(
    api_client, django_assert_num_queries, count
):
    # count, the page, the children of the page.
    for _ in range(count):
        CategoryFactory(parent=CategoryFactory())

    with django_assert_num_queries(3):
        response = api_client.get(CATEGORIES, {"page_size": 100})

    assert len(response.json()["results"]) == min(count * 2, 100)


# --- writing ----------------------------------------------------------------------------


def test_staff_creates_a_category_with_a_slug_from_its_name(staff_client):
    parent = CategoryFactory()

    response = staff_client.post(
        CATEGORIES, {"name": "Face Masks", "parent": str(parent.pk), "description": "Masks."}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "face-masks"
    assert body["parent"] == str(parent.pk)
    assert Category.objects.get(pk=body["id"]).parent == parent


def test_generated_category_slugs_stay_unique(staff_client):
    first = staff_client.post(CATEGORIES, {"name": "Masks"}).json()
    second = staff_client.post(CATEGORIES, {"name": "Masks"}).json()

    assert first["slug"] == "masks"
    assert second["slug"].startswith("masks-")


def test_a_given_slug_is_used_and_must_be_unique(staff_client):
    CategoryFactory(slug="taken")

    created = staff_client.post(CATEGORIES, {"name": "X", "slug": "chosen"})
    duplicate = staff_client.post(CATEGORIES, {"name": "Y", "slug": "taken"})
    malformed = staff_client.post(CATEGORIES, {"name": "Z", "slug": "not a slug"})

    assert created.json()["slug"] == "chosen"
    assert_validation_error(duplicate, "slug")
    assert_validation_error(malformed, "slug")


def test_create_category_without_name_is_a_validation_error(staff_client):
    assert_validation_error(staff_client.post(CATEGORIES, {"description": "x"}), "name")


def test_create_category_with_unknown_parent_is_a_validation_error(staff_client):
    response = staff_client.post(
        CATEGORIES, {"name": "X", "parent": "7f0c2d6e-1111-4a4a-9b9b-222233334444"}
    )

    assert_validation_error(response, "parent")


def test_customer_seller_and_anonymous_cannot_write_categories(
    user_client, seller_client, api_client
):
    category = CategoryFactory(name="Keep")

    for client in (user_client, seller_client):
        assert client.post(CATEGORIES, {"name": "X"}).status_code == 403
        assert client.patch(category_url(category), {"name": "Y"}).status_code == 403
        assert client.delete(category_url(category)).status_code == 403
    assert api_client.post(CATEGORIES, {"name": "X"}).status_code == 401
    assert api_client.delete(category_url(category)).status_code == 401
    category.refresh_from_db()
    assert category.name == "Keep"
    assert Category.objects.count() == 1


def test_staff_updates_a_category(staff_client):
    category = CategoryFactory(name="Old")
    new_parent = CategoryFactory()

    response = staff_client.patch(
        category_url(category), {"name": "New", "parent": str(new_parent.pk)}
    )

    assert response.status_code == 200
    category.refresh_from_db()
    assert (category.name, category.parent) == ("New", new_parent)


def test_moving_a_category_to_the_top_level(staff_client):
    category = CategoryFactory(parent=CategoryFactory())

    response = staff_client.patch(category_url(category), {"parent": None})

    assert response.status_code == 200
    category.refresh_from_db()
    assert category.parent is None


def test_a_category_cannot_be_its_own_parent(staff_client):
    category = CategoryFactory()

    response = staff_client.patch(category_url(category), {"parent": str(category.pk)})

    assert_validation_error(response, "parent")


def test_a_category_cannot_move_under_its_own_descendant(staff_client):
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    grandchild = CategoryFactory(parent=child)

    response = staff_client.patch(category_url(root), {"parent": str(grandchild.pk)})

    assert_validation_error(response, "parent")
    root.refresh_from_db()
    assert root.parent is None


def test_staff_deletes_an_empty_category(staff_client):
    category = CategoryFactory()

    assert staff_client.delete(category_url(category)).status_code == 204
    assert not Category.objects.filter(pk=category.pk).exists()


def test_deleting_a_category_with_products_is_a_conflict(staff_client):
    category = CategoryFactory()
    ProductFactory(category=category)

    response = staff_client.delete(category_url(category))

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Category.objects.filter(pk=category.pk).exists()


def test_deleting_a_category_with_only_soft_deleted_products_is_still_a_conflict(staff_client):
    category = CategoryFactory()
    ProductFactory(category=category, is_deleted=True)

    assert staff_client.delete(category_url(category)).status_code == 409


def test_deleting_a_category_with_subcategories_is_a_conflict(staff_client):
    parent = CategoryFactory()
    CategoryFactory(parent=parent)

    response = staff_client.delete(category_url(parent))

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


# --- images -----------------------------------------------------------------------------


def test_staff_uploads_a_category_image(staff_client):
    response = staff_client.post(
        CATEGORIES, {"name": "Lips", "image": make_image_file(fmt="JPEG")}, format="multipart"
    )

    assert response.status_code == 201, response.content
    category = Category.objects.get(pk=response.json()["id"])
    assert category.image.name.startswith("categories/")
    assert category.image.name.endswith(".jpg")
    assert response.json()["image"].startswith("http://testserver/media/categories/")


def test_category_image_must_be_a_real_image(staff_client):
    fake = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")

    response = staff_client.post(CATEGORIES, {"name": "Lips", "image": fake}, format="multipart")

    assert_validation_error(response, "image")
    assert not Category.objects.exists()


def test_oversize_category_image_is_refused(staff_client, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 50

    response = staff_client.post(
        CATEGORIES, {"name": "Lips", "image": make_image_file()}, format="multipart"
    )

    assert_validation_error(response, "image")


def test_category_image_can_be_replaced_and_removed(staff_client):
    category = CategoryFactory()
    url = category_url(category)

    replaced = staff_client.patch(url, {"image": make_image_file()}, format="multipart")
    removed = staff_client.patch(url, {"image": None}, format="json")

    assert replaced.status_code == 200
    assert replaced.json()["image"]
    assert removed.status_code == 200
    assert removed.json()["image"] is None
    category.refresh_from_db()
    assert not category.image
