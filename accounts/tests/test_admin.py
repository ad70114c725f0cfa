import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import Address, Profile, User
from accounts.services import address_create
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client_(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def test_admin_add_user_creates_the_profile(admin_client_):
    response = admin_client_.post(
        "/admin/accounts/user/add/",
        {
            "email": "Added@Example.com",
            "usable_password": "true",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )

    assert response.status_code == 302, response.content
    user = User.objects.get(email="added@example.com")
    assert user.check_password(DEFAULT_PASSWORD)
    assert Profile.objects.filter(user=user).exists()


def test_admin_add_user_refuses_an_email_taken_in_another_case(admin_client_):
    UserFactory(email="taken@example.com")

    response = admin_client_.post(
        "/admin/accounts/user/add/",
        {
            "email": "TAKEN@example.com",
            "usable_password": "true",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 2


def test_admin_pages_render(admin_client_, user):
    address_create(user=user, **ADDRESS)

    assert admin_client_.get("/admin/accounts/user/", {"q": user.email}).status_code == 200
    assert admin_client_.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200
    assert admin_client_.get("/admin/accounts/user/add/").status_code == 200
    assert admin_client_.get("/admin/accounts/address/").status_code == 200
    assert admin_client_.get("/admin/accounts/address/add/").status_code == 200


def test_admin_actions_grant_and_revoke_seller(admin_client_):
    users = UserFactory.create_batch(2)
    ids = [str(u.pk) for u in users]

    admin_client_.post("/admin/accounts/user/", {"action": "grant_seller", "_selected_action": ids})
    assert User.objects.filter(pk__in=ids, is_seller=True).count() == 2

    admin_client_.post(
        "/admin/accounts/user/", {"action": "revoke_seller", "_selected_action": ids}
    )
    assert User.objects.filter(pk__in=ids, is_seller=True).count() == 0


def test_admin_staff_cannot_edit_staff_flags(user):
    staff = UserFactory(is_staff=True)
    permissions = Permission.objects.filter(codename__in=["change_user", "view_user"])
    staff.user_permissions.add(*permissions)
    client = Client()
    client.force_login(staff)

    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "email": user.email,
            "is_active": "on",
            "is_seller": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-user": str(user.pk),
            "profile-0-visibility": "private",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
            "addresses-MIN_NUM_FORMS": "0",
            "addresses-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert user.is_seller is True  # the form was saved...
    assert (user.is_staff, user.is_superuser) == (False, False)  # ...without the staff flags


def test_admin_new_default_address_moves_the_default(admin_client_, user):
    old = address_create(user=user, **ADDRESS)

    response = admin_client_.post(
        "/admin/accounts/address/add/",
        {"user": str(user.pk), **ADDRESS, "label": "Office", "is_default": "on"},
    )

    assert response.status_code == 302, response.content
    old.refresh_from_db()
    assert old.is_default is False
    assert Address.objects.get(user=user, is_default=True).label == "Office"


def test_admin_address_refuses_an_unknown_country(admin_client_, user):
    response = admin_client_.post(
        "/admin/accounts/address/add/", {"user": str(user.pk), **ADDRESS, "country": "ZZ"}
    )

    assert response.status_code == 200
    assert not Address.objects.exists()


def test_admin_deleting_users_recomputes_the_ratings_of_what_they_reviewed(admin_client_):
    from catalog.tests.factories import ProductFactory
    from reviews.services import review_create

    product = ProductFactory()
    kept, leaving, also_leaving = UserFactory.create_batch(3)
    review_create(user=kept, product_id=product.pk, rating=5)
    review_create(user=leaving, product_id=product.pk, rating=1)
    review_create(user=also_leaving, product_id=product.pk, rating=2)

    admin_client_.post(f"/admin/accounts/user/{leaving.pk}/delete/", {"post": "yes"})
    admin_client_.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "post": "yes", "_selected_action": [str(also_leaving.pk)]},
    )

    product.refresh_from_db()
    assert not User.objects.filter(pk__in=[leaving.pk, also_leaving.pk]).exists()
    assert (product.review_count, str(product.average_rating)) == (1, "5.00")
