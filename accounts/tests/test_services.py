from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.exceptions import RoleChangeForbidden
from accounts.models import Address, Profile, User
from accounts.services import (
    address_create,
    address_delete,
    address_save,
    address_update,
    password_reset_confirm,
    password_reset_request,
    profile_update,
    user_change_password,
    user_close,
    user_create,
    user_deactivate,
    user_tokens_revoke,
    user_update,
)
from accounts.tests.factories import DEFAULT_PASSWORD, AddressFactory, UserFactory
from accounts.tests.helpers import image_upload
from core.exceptions import BusinessValidationError

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


# --- users ----------------------------------------------------------------------------


def test_user_create_lowercases_email_and_creates_the_profile():
    user = user_create(email=" Someone@Example.COM ", password=DEFAULT_PASSWORD, last_name="Byron")

    assert user.email == "someone@example.com"
    assert Profile.objects.get(user=user).last_name == "Byron"
    assert user.check_password(DEFAULT_PASSWORD)


def test_user_create_without_password_makes_an_unusable_one():
    user = user_create(email="invited@example.com", password=None)

    assert user.has_usable_password() is False


def test_user_create_refuses_a_password_similar_to_the_profile_name():
    with pytest.raises(BusinessValidationError) as raised:
        user_create(email="a@example.com", password="Wollstonecraft", last_name="Wollstonecraft")

    assert "password" in raised.value.extra["errors"]
    assert not User.objects.filter(email="a@example.com").exists()


def test_user_create_refuses_a_duplicate_email_in_any_case():
    UserFactory(email="dup@example.com")

    with pytest.raises(BusinessValidationError) as raised:
        user_create(email="DUP@example.com", password=DEFAULT_PASSWORD)

    assert "email" in raised.value.extra["errors"]


def test_user_create_turns_a_racing_duplicate_into_a_validation_error(monkeypatch):
    UserFactory(email="race@example.com")
    # Simulate the other request winning between our check and our insert.
    monkeypatch.setattr(
        "accounts.services.User.objects.filter",
        lambda *a, **kw: User.objects.none(),
    )

    with pytest.raises(BusinessValidationError) as raised:
        user_create(email="race@example.com", password=DEFAULT_PASSWORD)

    assert "email" in raised.value.extra["errors"]


def test_user_create_by_staff_may_not_create_staff(staff):
    with pytest.raises(RoleChangeForbidden):
        user_create(email="s@example.com", password=DEFAULT_PASSWORD, is_staff=True, by=staff)


def test_user_update_role_rules(staff, user):
    superuser = UserFactory(is_staff=True, is_superuser=True)

    user_update(user=user, by=staff, is_seller=True)
    with pytest.raises(RoleChangeForbidden):
        user_update(user=user, by=staff, is_staff=True)
    user_update(user=user, by=superuser, is_staff=True)

    user.refresh_from_db()
    assert (user.is_seller, user.is_staff) == (True, True)


def test_staff_close_their_own_account_with_user_close_not_user_management(staff):
    with pytest.raises(RoleChangeForbidden):
        user_deactivate(user=staff, by=staff)

    user_close(user=staff)

    staff.refresh_from_db()
    assert staff.is_active is False


def test_user_deactivate_blacklists_outstanding_refresh_tokens(user, staff):
    RefreshToken.for_user(user)
    RefreshToken.for_user(user)

    user_deactivate(user=user, by=staff)

    assert BlacklistedToken.objects.filter(token__user=user).count() == 2


def test_user_tokens_revoke_skips_expired_and_already_blacklisted_tokens(user):
    other = UserFactory()
    live = RefreshToken.for_user(user)
    dead = RefreshToken.for_user(user)
    dead.blacklist()
    expired = RefreshToken.for_user(user)
    OutstandingToken.objects.filter(jti=expired["jti"]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    RefreshToken.for_user(other)

    revoked = user_tokens_revoke(user=user)

    assert revoked == 1
    assert BlacklistedToken.objects.filter(token__jti=live["jti"]).exists()
    assert not BlacklistedToken.objects.filter(token__user=other).exists()


def test_user_change_password_checks_the_old_password(user):
    with pytest.raises(BusinessValidationError) as raised:
        user_change_password(user=user, old_password="nope", new_password="Brand-new-pass-42")

    assert "old_password" in raised.value.extra["errors"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


# --- password reset -------------------------------------------------------------------


def test_password_reset_request_for_unknown_email_schedules_nothing(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        password_reset_request(email="ghost@example.com")

    assert callbacks == []


def test_password_reset_confirm_refuses_a_deactivated_user(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(BusinessValidationError):
        password_reset_confirm(uid=uid, token=token, new_password="Brand-new-pass-42")


# --- profile --------------------------------------------------------------------------


def test_profile_update_changes_only_given_fields(user):
    profile_update(profile=user.profile, first_name="Ada", last_name="Lovelace")
    profile_update(profile=user.profile, phone="+1 555 0100")

    user.profile.refresh_from_db()
    assert (user.profile.first_name, user.profile.last_name, user.profile.phone) == (
        "Ada",
        "Lovelace",
        "+1 555 0100",
    )


def test_profile_update_refuses_an_unknown_visibility(user):
    with pytest.raises(DjangoValidationError):
        profile_update(profile=user.profile, visibility="everyone")


def test_replacing_an_avatar_deletes_the_old_file_after_commit(
    user, settings, django_capture_on_commit_callbacks
):
    profile_update(profile=user.profile, avatar=image_upload())
    old_path = Path(settings.MEDIA_ROOT) / user.profile.avatar.name
    assert old_path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        profile_update(profile=user.profile, avatar=image_upload("b.gif", "GIF"))

    assert not old_path.exists()
    assert user.profile.avatar.name.endswith(".gif")
    assert (Path(settings.MEDIA_ROOT) / user.profile.avatar.name).exists()


# --- addresses ------------------------------------------------------------------------


def test_address_create_makes_the_first_address_default(user):
    first = address_create(user=user, **ADDRESS)
    second = address_create(user=user, **ADDRESS)

    assert first.is_default is True
    assert second.is_default is False


def test_address_update_to_default_unsets_the_previous_one(user):
    first = address_create(user=user, **ADDRESS)
    second = address_create(user=user, **ADDRESS)

    address_update(address=second, is_default=True)

    assert list(Address.objects.filter(user=user, is_default=True)) == [second]
    first.refresh_from_db()
    assert first.is_default is False


def test_address_update_may_leave_a_user_without_default(user):
    only = address_create(user=user, **ADDRESS)

    address_update(address=only, is_default=False)

    only.refresh_from_db()
    assert only.is_default is False


def test_address_save_refuses_an_unknown_country(user):
    with pytest.raises(DjangoValidationError) as raised:
        address_create(user=user, **{**ADDRESS, "country": "ZZ"})

    assert "country" in raised.value.message_dict


def test_address_save_of_a_new_default_instance_unsets_the_old(user):
    old = address_create(user=user, **ADDRESS)

    new = address_save(address=Address(user=user, is_default=True, **ADDRESS))

    old.refresh_from_db()
    assert (old.is_default, new.is_default) == (False, True)


def test_address_delete_promotes_the_newest_remaining_address(user):
    default = address_create(user=user, **ADDRESS)
    older = address_create(user=user, **ADDRESS)
    newer = address_create(user=user, **ADDRESS)
    Address.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))

    address_delete(address=default)

    assert list(Address.objects.filter(user=user, is_default=True)) == [newer]


def test_address_delete_of_a_non_default_keeps_the_default(user):
    default = address_create(user=user, **ADDRESS)
    other = address_create(user=user, **ADDRESS)
    AddressFactory()

    address_delete(address=other)

    default.refresh_from_db()
    assert default.is_default is True
