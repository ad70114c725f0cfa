import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from stores.models import StoreStatus
from stores.tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/stores/store/"


@pytest.fixture
def admin_client_(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _act(client, action, stores, reason=""):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(s.pk) for s in stores], "reason": reason},
        follow=True,
    )


def test_the_admin_lists_and_shows_stores(admin_client_):
    store = StoreFactory()

    assert admin_client_.get(CHANGELIST).status_code == 200
    assert admin_client_.get(f"{CHANGELIST}{store.pk}/change/").status_code == 200
    assert admin_client_.get(f"{CHANGELIST}add/").status_code == 403


def test_the_approve_action_goes_through_the_service(admin_client_):
    store = StoreFactory()

    _act(admin_client_, "approve", [store])

    store.refresh_from_db()
    assert store.status == StoreStatus.APPROVED
    assert store.owner.is_seller


def test_reject_and_suspend_take_the_reason_typed_in_the_actions_bar(admin_client_):
    pending, approved = StoreFactory(), StoreFactory(status=StoreStatus.APPROVED)

    refused = _act(admin_client_, "reject", [pending])
    _act(admin_client_, "reject", [pending], reason="Incomplete documents")
    _act(admin_client_, "suspend", [approved], reason="Complaints")

    assert "Give the reason" in refused.content.decode()
    pending.refresh_from_db()
    approved.refresh_from_db()
    assert (pending.status, pending.rejection_reason) == ("rejected", "Incomplete documents")
    assert (approved.status, approved.suspension_reason) == ("suspended", "Complaints")


def test_staff_edits_are_checked_by_the_service(admin_client_):
    StoreFactory(name="Taken")
    store = StoreFactory(status=StoreStatus.APPROVED)
    url = f"{CHANGELIST}{store.pk}/change/"
    form = {
        "kind": store.kind,
        "name": "Taken",
        "slug": store.slug,
        "description": "",
        "country": "US",
        "contact_email": store.contact_email,
        "license_number": "",
        "license_country": "",
        "payout_account_id": "acct_123",
    }

    taken = admin_client_.post(url, form)
    reserved = admin_client_.post(url, {**form, "name": "Renamed", "slug": "me"})
    saved = admin_client_.post(url, {**form, "name": "Renamed"})

    assert taken.status_code == reserved.status_code == 200  # the form again, with errors
    assert "reserved" in reserved.content.decode()
    assert saved.status_code == 302
    store.refresh_from_db()
    assert store.name == "Renamed"
    assert store.payout_account_id == "acct_123"


def test_ticking_seller_on_the_user_admin_page_opens_the_store(admin_client_):
    user = UserFactory()
    page = admin_client_.get(f"/admin/accounts/user/{user.pk}/change/")
    form = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list)
    }

    admin_client_.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            **form,
            "email": user.email,
            "is_active": "on",
            "is_seller": "on",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-0-user": str(user.pk),
            "profile-0-visibility": "private",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    user.refresh_from_db()
    assert user.is_seller
    assert user.store.status == StoreStatus.APPROVED
