from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from catalog.services import product_create
from catalog.tests.factories import CategoryFactory, make_image_file
from stores.models import Store, StoreStatus
from stores.tests.factories import DermatologistStoreFactory, StoreFactory

pytestmark = pytest.mark.django_db

STORES = "/api/v1/stores/"
APPLY = "/api/v1/stores/apply/"
ME = "/api/v1/stores/me/"

BRAND_APPLICATION = {
    "kind": "brand",
    "name": "Maison Claire",
    "description": "Gentle cleansers.",
    "country": "FR",
}
DERMATOLOGIST_APPLICATION = {
    "kind": "dermatologist",
    "name": "Dr. Lena Fischer",
    "country": "DE",
    "license_number": "AEK-123456",
    "license_country": "DE",
}


def store_url(store, action: str = "") -> str:
    return f"{STORES}{store.slug}/" + (f"{action}/" if action else "")


def by_id(store, action: str) -> str:
    return f"{STORES}{store.pk}/{action}/"


# --- applying ---------------------------------------------------------------------------


def test_a_customer_applies_for_a_brand_store_which_waits_for_review(
    user, user_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(APPLY, BRAND_APPLICATION)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["slug"] == "maison-claire"
    assert body["contact_email"] == user.email  # the account's when not given
    assert body["verified"] is False
    assert body["owner"] == str(user.pk)
    user.refresh_from_db()
    assert not user.is_seller  # only approval makes a seller
    assert "received" in mail.outbox[-1].subject


def test_a_dermatologist_application_needs_the_licence(user_client):
    response = user_client.post(
        APPLY, {**DERMATOLOGIST_APPLICATION, "license_number": "", "license_country": ""}
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"license_number", "license_country"}
    assert not Store.objects.exists()


def test_a_dermatologist_applies_with_the_licence(user_client):
    response = user_client.post(APPLY, DERMATOLOGIST_APPLICATION)

    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "dermatologist"
    assert body["license_number"] == "AEK-123456"
    assert body["verified"] is False


def test_applying_needs_an_account(api_client):
    assert api_client.post(APPLY, BRAND_APPLICATION).status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [
        ({**BRAND_APPLICATION, "kind": "shop"}, "kind"),
        ({**BRAND_APPLICATION, "country": "XX"}, "country"),
        ({**BRAND_APPLICATION, "name": ""}, "name"),
        ({**BRAND_APPLICATION, "slug": "not a slug"}, "slug"),
        ({**BRAND_APPLICATION, "slug": "me"}, "slug"),
        ({**BRAND_APPLICATION, "slug": "apply"}, "slug"),
        ({**BRAND_APPLICATION, "contact_email": "nope"}, "contact_email"),
        ({**BRAND_APPLICATION, "name": "x" * 121}, "name"),
    ],
)
def test_a_bad_application_is_a_400_naming_the_field(user_client, body, field):
    response = user_client.post(APPLY, body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Store.objects.exists()


def test_a_store_name_is_unique_in_any_case(user_client):
    StoreFactory(name="MAISON CLAIRE")

    response = user_client.post(APPLY, BRAND_APPLICATION)

    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_a_second_application_is_a_409(user, user_client):
    StoreFactory(owner=user)

    response = user_client.post(APPLY, BRAND_APPLICATION)

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_a_rejected_applicant_may_apply_again(user, user_client):
    store = StoreFactory(owner=user, status=StoreStatus.REJECTED, rejection_reason="Blurry")

    response = user_client.post(APPLY, {**BRAND_APPLICATION, "name": "Maison Claire Two"})

    assert response.status_code == 201
    store.refresh_from_db()
    assert store.status == StoreStatus.PENDING
    assert store.name == "Maison Claire Two"
    assert store.rejection_reason == ""
    assert Store.objects.count() == 1


# --- staff review -----------------------------------------------------------------------


def test_staff_approve_a_store_and_its_owner_becomes_a_seller(
    staff_client, django_capture_on_commit_callbacks
):
    store = StoreFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(by_id(store, "approve"))

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    store.refresh_from_db()
    assert store.owner.is_seller
    assert store.approved_at is not None
    assert "approved" in mail.outbox[-1].subject


def test_approving_a_dermatologist_verifies_the_licence(staff_client):
    store = DermatologistStoreFactory()

    response = staff_client.post(by_id(store, "approve"))

    assert response.json()["verified"] is True


def test_staff_reject_with_a_reason_the_applicant_reads(
    staff_client, client_for, django_capture_on_commit_callbacks
):
    store = StoreFactory()

    missing = staff_client.post(by_id(store, "reject"), {})
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(by_id(store, "reject"), {"reason": "No company number."})

    assert missing.status_code == 400
    assert response.status_code == 200
    mine = client_for(store.owner).get(ME).json()
    assert mine["status"] == "rejected"
    assert mine["rejection_reason"] == "No company number."
    assert "No company number." in mail.outbox[-1].body


def test_staff_suspend_and_reinstate_an_approved_store(staff_client):
    store = StoreFactory(status=StoreStatus.APPROVED)

    suspended = staff_client.post(by_id(store, "suspend"), {"reason": "Counterfeits reported."})
    reinstated = staff_client.post(by_id(store, "reinstate"))

    assert suspended.status_code == 200
    assert suspended.json()["suspension_reason"] == "Counterfeits reported."
    assert reinstated.json()["status"] == "approved"
    assert reinstated.json()["suspension_reason"] == ""


@pytest.mark.parametrize(
    "status, action",
    [
        (StoreStatus.APPROVED, "approve"),
        (StoreStatus.REJECTED, "approve"),
        (StoreStatus.APPROVED, "reject"),
        (StoreStatus.PENDING, "suspend"),
        (StoreStatus.SUSPENDED, "suspend"),
        (StoreStatus.APPROVED, "reinstate"),
        (StoreStatus.PENDING, "reinstate"),
    ],
)
def test_any_other_review_transition_is_a_409(staff_client, status, action):
    store = StoreFactory(status=status)

    response = staff_client.post(by_id(store, action), {"reason": "because"})

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    store.refresh_from_db()
    assert store.status == status


def test_only_staff_review_stores(user_client, seller_client):
    store = StoreFactory()

    for client in (user_client, seller_client):
        assert client.post(by_id(store, "approve")).status_code == 403
    store.refresh_from_db()
    assert store.status == StoreStatus.PENDING


def test_an_owner_cannot_approve_their_own_store(client_for):
    store = StoreFactory()

    response = client_for(store.owner).post(by_id(store, "approve"))

    assert response.status_code == 403


# --- the public list and storefronts ----------------------------------------------------


def test_the_public_sees_only_approved_stores(api_client):
    shown = StoreFactory(status=StoreStatus.APPROVED, name="Shown")
    for status in (StoreStatus.PENDING, StoreStatus.REJECTED, StoreStatus.SUSPENDED):
        StoreFactory(status=status)

    response = api_client.get(STORES)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(shown.pk)]
    assert "status" not in response.json()["results"][0]
    assert "contact_email" not in response.json()["results"][0]


def test_a_public_storefront_has_every_field_its_schema_requires(api_client):
    store = StoreFactory(status=StoreStatus.APPROVED)
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    answer = schema["paths"]["/api/v1/stores/{ref}/"]["get"]["responses"]["200"]
    component = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]

    body = api_client.get(store_url(store)).json()

    assert "contact_email" not in body
    assert set(schema["components"]["schemas"][component]["required"]) <= set(body)


def test_stores_filter_by_kind_and_search(api_client):
    StoreFactory(status=StoreStatus.APPROVED, name="Glow Brand")
    derm = DermatologistStoreFactory(status=StoreStatus.APPROVED, name="Dr. Glow")

    by_kind = api_client.get(STORES, {"kind": "dermatologist"}).json()["results"]
    by_name = api_client.get(STORES, {"search": "glow"}).json()["results"]

    assert [row["id"] for row in by_kind] == [str(derm.pk)]
    assert len(by_name) == 2
    assert api_client.get(STORES, {"kind": "shop"}).status_code == 400


def test_staff_list_stores_by_status(staff_client):
    pending = StoreFactory()
    StoreFactory(status=StoreStatus.APPROVED)

    response = staff_client.get(STORES, {"status": "pending"})

    assert [row["id"] for row in response.json()["results"]] == [str(pending.pk)]
    assert response.json()["results"][0]["status"] == "pending"


def test_a_storefront_by_slug_or_id_shows_its_figures(api_client):
    store = StoreFactory(status=StoreStatus.APPROVED)
    product_create(
        created_by=store.owner,
        store=store,
        name="Cream",
        price=Decimal("10.00"),
        category=CategoryFactory(),
    )

    by_slug = api_client.get(store_url(store))
    by_pk = api_client.get(f"{STORES}{store.pk}/")

    assert by_slug.status_code == by_pk.status_code == 200
    body = by_slug.json()
    assert body == by_pk.json()
    assert set(body) == {
        "id", "name", "slug", "kind", "description", "logo", "country", "verified",
        "average_rating", "review_count", "product_count", "joined_at",
    }  # fmt: skip
    assert body["product_count"] == 1


@pytest.mark.parametrize("status", [StoreStatus.PENDING, StoreStatus.SUSPENDED])
def test_a_store_that_is_not_approved_is_404_to_the_public(api_client, user_client, status):
    store = StoreFactory(status=status)

    assert api_client.get(store_url(store)).status_code == 404
    assert user_client.get(store_url(store)).status_code == 404


def test_the_owner_and_staff_see_the_store_in_any_status_with_its_details(client_for, staff_client):
    store = StoreFactory()

    mine = client_for(store.owner).get(store_url(store))
    theirs = staff_client.get(store_url(store))

    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["status"] == theirs.json()["status"] == "pending"


def test_an_unknown_store_is_404(api_client):
    assert api_client.get(f"{STORES}no-such-store/").status_code == 404
    assert api_client.get(f"{STORES}3f2b9c1e-0000-4000-8000-000000000000/").status_code == 404


def test_the_store_list_costs_the_same_queries_whatever_its_size(
    api_client, django_assert_max_num_queries
):
    for _ in range(3):
        StoreFactory(status=StoreStatus.APPROVED)
    with CaptureQueriesContext(connection) as small:
        api_client.get(STORES)
    for _ in range(12):
        StoreFactory(status=StoreStatus.APPROVED)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api_client.get(STORES, {"page_size": 50})
    assert len(response.json()["results"]) == 15


# --- the owner's own store --------------------------------------------------------------


def test_the_owner_reads_and_changes_their_store(client_for):
    store = StoreFactory(status=StoreStatus.APPROVED)
    client = client_for(store.owner)

    response = client.patch(ME, {"description": "New words.", "name": "Renamed", "kind": "x"})

    assert response.status_code == 200
    assert response.json()["description"] == "New words."
    assert response.json()["name"] == store.name  # reviewed fields change through staff
    assert client.get(ME).json()["description"] == "New words."


def test_the_owner_uploads_a_real_image_as_logo(client_for):
    store = StoreFactory(status=StoreStatus.APPROVED)
    client = client_for(store.owner)

    good = client.patch(ME, {"logo": make_image_file()}, format="multipart")
    store.refresh_from_db()
    fake = make_image_file()
    fake.file.write(b"not an image at all")
    fake.file.seek(0)
    fake.file.truncate()
    fake.file.write(b"<?php echo 1; ?>")
    fake.file.seek(0)
    bad = client.patch(ME, {"logo": fake}, format="multipart")

    assert good.status_code == 200
    assert store.logo.name.startswith("stores/")
    assert store.logo.name.endswith(".png")
    assert bad.status_code == 400
    assert "logo" in bad.json()["errors"]


def test_stores_me_without_a_store_is_404(user_client, api_client):
    assert user_client.get(ME).status_code == 404
    assert api_client.get(ME).status_code == 401


# --- the seller role through users/ -----------------------------------------------------


def test_staff_granting_the_seller_role_opens_an_approved_store(staff_client):
    customer = UserFactory()

    response = staff_client.patch(f"/api/v1/users/{customer.pk}/", {"is_seller": True})

    assert response.status_code == 200
    store = Store.objects.get(owner=customer)
    assert store.status == StoreStatus.APPROVED
    customer.refresh_from_db()
    assert customer.is_seller


def test_staff_granting_the_seller_role_approves_a_pending_application(staff_client):
    store = StoreFactory()

    staff_client.patch(f"/api/v1/users/{store.owner.pk}/", {"is_seller": True})

    store.refresh_from_db()
    assert store.status == StoreStatus.APPROVED
    assert Store.objects.count() == 1


def test_staff_revoking_the_seller_role_suspends_the_store(staff_client, seller):
    response = staff_client.patch(f"/api/v1/users/{seller.pk}/", {"is_seller": False})

    assert response.status_code == 200
    seller.store.refresh_from_db()
    assert seller.store.status == StoreStatus.SUSPENDED
    assert not response.json()["is_seller"]


def test_staff_creating_a_seller_opens_their_store(staff_client):
    response = staff_client.post(
        "/api/v1/users/",
        {"email": "new-seller@example.com", "password": "Sturdy-pass-2026", "is_seller": True},
    )

    assert response.status_code == 201
    assert Store.objects.get(owner__email="new-seller@example.com").is_approved


# --- cached public reads ----------------------------------------------------------------


def test_anonymous_store_reads_are_cached_with_an_etag_until_a_store_changes(
    api_client, staff_client, django_capture_on_commit_callbacks
):
    store = StoreFactory(status=StoreStatus.APPROVED)
    first = api_client.get(store_url(store))
    etag = first["ETag"]

    not_modified = api_client.get(store_url(store), HTTP_IF_NONE_MATCH=etag)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(by_id(store, "suspend"), {"reason": "Checks"})
    gone = api_client.get(store_url(store))
    listed = api_client.get(STORES)

    assert first.status_code == 200 and "public" in first["Cache-Control"]
    assert not_modified.status_code == 304
    assert gone.status_code == 404
    assert listed.json()["results"] == []


def test_a_new_product_updates_the_cached_storefront_count(
    api_client, store_owner_store, django_capture_on_commit_callbacks
):
    store = store_owner_store
    assert api_client.get(store_url(store)).json()["product_count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        product_create(
            created_by=store.owner,
            store=store,
            name="Fresh Cream",
            price=Decimal("10.00"),
            category=CategoryFactory(),
        )

    assert api_client.get(store_url(store)).json()["product_count"] == 1


@pytest.fixture
def store_owner_store():
    return StoreFactory(status=StoreStatus.APPROVED)
