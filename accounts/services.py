"""Writes of the accounts domain. Views, admin actions and management commands call these
same functions, so every rule (password strength, role changes, one default address,
token revocation) holds whichever door a change comes through."""

import uuid
from functools import partial
from typing import Any, cast

from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.emails import send_password_reset_email
from accounts.exceptions import RefreshTokenRefused, RoleChangeForbidden
from accounts.models import Address, Profile, User, normalize_email
from core.events import publish
from core.exceptions import BusinessValidationError
from stores.services import seller_role_set


class _Unset:
    """Marks an optional argument the caller did not pass (distinct from None = clear)."""

    def __repr__(self):
        return "UNSET"


UNSET: Any = _Unset()

# Published (in the deleting transaction) with `user_ids` just before users are deleted.
USERS_DELETING = "accounts.users_deleting"
# Published (in the closing transaction) with `user_ids` when users close their own account:
# what they would not want kept once they leave (health data) goes with it.
USERS_CLOSING = "accounts.users_closing"

_IMAGE_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


# --- users ----------------------------------------------------------------------------


def _email_taken_error() -> BusinessValidationError:
    return BusinessValidationError({"email": [_("A user with this email already exists.")]})


def _validate_password(password: str, *, user: User, profile: Profile | None, field: str):
    errors = []
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        errors.extend(exc.messages)
    if profile is not None:
        # The names live on the profile, where the similarity validator does not look.
        for validator in password_validation.get_default_password_validators():
            if isinstance(validator, password_validation.UserAttributeSimilarityValidator):
                names = password_validation.UserAttributeSimilarityValidator(
                    user_attributes=("first_name", "last_name"),
                    max_similarity=validator.max_similarity,
                )
                try:
                    # It reads the attributes of any object, the profile here.
                    names.validate(password, profile)  # type: ignore[arg-type]
                except DjangoValidationError as exc:
                    errors.extend(exc.messages)
    if errors:
        raise BusinessValidationError({field: list(dict.fromkeys(errors))})


def _ensure_may_change_roles(
    *, by: User, user: User | None, is_staff: bool | None, is_active: bool | None
) -> None:
    if user is not None and user.pk == by.pk and (is_active is False or is_staff is False):
        # Managing users must never lock the manager out (the last superuser included);
        # closing one's own account is users/me/'s job (user_close).
        raise RoleChangeForbidden(
            _("You cannot deactivate or demote your own account here; use users/me/.")
        )
    if by.is_superuser:
        return
    current_staff = bool(user and user.is_staff)
    if is_staff is not None and is_staff != current_staff:
        raise RoleChangeForbidden()
    privileged = user is not None and (user.is_staff or user.is_superuser)
    if (
        privileged
        and user is not None
        and user != by
        and is_active is not None
        and is_active != user.is_active
    ):
        # Switching a staff account off is revoking staff by another name.
        raise RoleChangeForbidden(_("Only a superuser may deactivate or reactivate staff."))


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    is_seller: bool = False,
    is_staff: bool = False,
    by: User | None = None,
) -> User:
    """Create an account with its profile (`by` is the staff member creating it, if any).

    Raises BusinessValidationError (email taken, weak password) and RoleChangeForbidden
    (a non-superuser creating staff)."""
    if by is not None:
        _ensure_may_change_roles(by=by, user=None, is_staff=is_staff, is_active=None)
    email = normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise _email_taken_error()
    if password is not None:
        _validate_password(
            password,
            user=User(email=email),
            profile=Profile(first_name=first_name, last_name=last_name),
            field="password",
        )
    try:
        # create_user makes the user and its profile in one (nested) transaction.
        user = User.objects.create_user(email=email, password=password, is_staff=is_staff)
    except IntegrityError:
        # A concurrent request registered the same email between the check and the insert.
        raise _email_taken_error() from None
    if first_name or last_name:
        profile_update(profile=user.profile, first_name=first_name, last_name=last_name)
    if is_seller:
        seller_role_set(user=user, is_seller=True, by=by)
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    by: User,
    is_active: bool | None = None,
    is_seller: bool | None = None,
    is_staff: bool | None = None,
) -> User:
    """Change an account's status or roles as staff (None leaves a flag as it is).

    Raises RoleChangeForbidden (staff granted, revoked, or a staff account switched off
    by someone who is not a superuser)."""
    _ensure_may_change_roles(by=by, user=user, is_staff=is_staff, is_active=is_active)
    changes = {"is_active": is_active, "is_staff": is_staff}
    changed = [name for name, value in changes.items() if value is not None]
    for name in changed:
        setattr(user, name, changes[name])
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    if is_seller is not None and is_seller != user.is_seller:
        # The seller role is the ownership of an approved store: granting it opens (or
        # approves) the user's store, revoking it suspends the store.
        seller_role_set(user=user, is_seller=is_seller, by=by)
    if is_active is False:
        user_tokens_revoke(user=user)
    return user


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> User:
    """Switch an account off (kept for order history) and revoke its tokens.

    Raises RoleChangeForbidden (a staff account switched off by a non-superuser, or
    one's own account: that is user_close)."""
    return user_update(user=user, by=by, is_active=False)


@transaction.atomic
def user_close(*, user: User) -> User:
    """The caller closes their own account: deactivated (kept for order history), every
    token revoked, and USERS_CLOSING published. Raises nothing."""
    user.is_active = False
    user.save(update_fields=["is_active", "updated_at"])
    user_tokens_revoke(user=user)
    publish(USERS_CLOSING, user_ids=[user.pk])
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str, field: str = "new_password") -> User:
    """Set a new password and revoke every refresh token issued before it.

    Raises BusinessValidationError (password refused by the validators, under `field`)."""
    _validate_password(password, user=user, profile=user.profile, field=field)
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    user_tokens_revoke(user=user)
    return user


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> User:
    """Change the caller's own password.

    Raises BusinessValidationError (wrong old password, weak new password)."""
    if not user.check_password(old_password):
        raise BusinessValidationError({"old_password": [_("Your old password is incorrect.")]})
    return user_set_password(user=user, password=new_password)


@transaction.atomic
def user_tokens_revoke(*, user: User) -> int:
    """Blacklist every unexpired refresh token of the user; returns how many. Raises nothing."""
    token_ids = list(
        OutstandingToken.objects.filter(
            user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
        ).values_list("id", flat=True)
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token_id=token_id) for token_id in token_ids], ignore_conflicts=True
    )
    return len(token_ids)


@transaction.atomic
@transaction.atomic
def refresh_token_rotate(*, token: RefreshToken) -> dict[str, str]:
    """A new access token for a verified refresh token and, with ROTATE_REFRESH_TOKENS, a
    new refresh token, the old one blacklisted: of two concurrent rotations of one token
    only one wins. Hardens simplejwt's refresh, which answers a 500 for a deleted user and
    mints a useless access token after a password change. Raises RefreshTokenRefused (the
    user is gone, inactive or changed password since, or the token was just rotated)."""
    user_id = token.payload.get(jwt_settings.USER_ID_CLAIM)
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
    if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
        raise RefreshTokenRefused("no_active_account")
    if jwt_settings.CHECK_REVOKE_TOKEN and token.payload.get(
        jwt_settings.REVOKE_TOKEN_CLAIM
    ) != get_md5_hash_password(user.password):
        raise RefreshTokenRefused("password_changed")

    tokens = {"access": str(token.access_token)}
    if jwt_settings.ROTATE_REFRESH_TOKENS:
        if jwt_settings.BLACKLIST_AFTER_ROTATION:
            # simplejwt annotates blacklist() as the row; it returns get_or_create's pair.
            _blacklisted, created = cast("tuple[BlacklistedToken, bool]", token.blacklist())
            if not created:  # another request rotated this very token a moment ago
                raise RefreshTokenRefused("blacklisted")
        token.set_jti()
        token.set_exp()
        token.set_iat()
        token.outstand()
        tokens["refresh"] = str(token)
    return tokens


def refresh_token_revoke(*, token: RefreshToken) -> None:
    """Blacklist one (already verified) refresh token: a logout. Raises nothing."""
    token.blacklist()


# --- password reset -------------------------------------------------------------------


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Email a one-time reset link if an active account has this email. Raises nothing:
    the caller must not learn whether the email is registered."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    # robust: a mail server outage is logged, it does not turn the answer into a 500.
    transaction.on_commit(
        partial(send_password_reset_email, email=user.email, uid=uid, token=token),
        robust=True,
    )


def _user_from_uid(uid: str) -> User | None:
    try:
        pk = force_str(urlsafe_base64_decode(uid))
        return User.objects.filter(pk=uuid.UUID(pk), is_active=True).first()
    except (ValueError, TypeError, OverflowError, DjangoValidationError):
        return None


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from an emailed link. The token dies with the password change.

    Raises BusinessValidationError (unknown uid, bad or used token, weak password)."""
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise BusinessValidationError({"token": [_("The reset link is invalid or has expired.")]})
    return user_set_password(user=user, password=new_password)


# --- profile --------------------------------------------------------------------------


def _safe_image_name(file: File) -> str:
    # The client's file name is never kept: a PNG named "x.html" must not be served as HTML.
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format
    except (UnidentifiedImageError, OSError, ValueError):
        image_format = None
    finally:
        file.seek(0)
    if image_format not in _IMAGE_EXTENSIONS:
        raise BusinessValidationError({"avatar": [_("Upload a valid image.")]})
    return f"{uuid.uuid4().hex}.{_IMAGE_EXTENSIONS[image_format]}"


@transaction.atomic
def profile_update(
    *,
    profile: Profile,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
    visibility: str | None = None,
    avatar: File | None = UNSET,
) -> Profile:
    """Update a profile (None leaves a text field as it is; avatar=None removes the avatar).

    Raises BusinessValidationError (avatar is not an image)."""
    texts = {
        "first_name": first_name,
        "last_name": last_name,
        "phone": phone,
        "visibility": visibility,
    }
    for name, value in texts.items():
        if value is not None:
            setattr(profile, name, value)
    old_avatar = profile.avatar.name if profile.avatar else ""
    if avatar is None:
        profile.avatar = ""
    elif avatar is not UNSET:
        avatar.name = _safe_image_name(avatar)
        profile.avatar = avatar
    profile.full_clean(exclude=["user", "avatar"])
    profile.save()
    if old_avatar and old_avatar != profile.avatar.name:
        storage = profile.avatar.storage
        transaction.on_commit(partial(storage.delete, old_avatar), robust=True)
    return profile


# --- addresses ------------------------------------------------------------------------


def _lock_addresses_of(user: User) -> None:
    # Lock the owner's row: two concurrent writes of one user's addresses queue here
    # instead of both deciding "I am the default" and hitting the unique constraint.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


@transaction.atomic
def address_save(*, address: Address) -> Address:
    """Save a new or changed address keeping one default per user: a user's first address
    becomes the default, and a new default unsets the previous one.

    Raises django ValidationError (e.g. an unknown country code)."""
    _lock_addresses_of(address.user)
    others = Address.objects.filter(user_id=address.user_id).exclude(pk=address.pk)
    if address._state.adding and not others.exists():
        address.is_default = True
    if address.is_default:
        # Before the save: the partial unique index allows one default row per user.
        others.filter(is_default=True).update(is_default=False, updated_at=timezone.now())
    address.full_clean()
    address.save()
    return address


@transaction.atomic
def address_create(
    *,
    user: User,
    full_name: str,
    line1: str,
    city: str,
    postal_code: str,
    country: str,
    label: str = "",
    line2: str = "",
    region: str = "",
    phone: str = "",
    is_default: bool = False,
) -> Address:
    """Add a shipping address (see address_save for the default rule).

    Raises django ValidationError (e.g. an unknown country code)."""
    address = Address(
        user=user,
        label=label,
        full_name=full_name,
        line1=line1,
        line2=line2,
        city=city,
        region=region,
        postal_code=postal_code,
        country=country,
        phone=phone,
        is_default=is_default,
    )
    return address_save(address=address)


@transaction.atomic
def address_update(
    *,
    address: Address,
    label: str | None = None,
    full_name: str | None = None,
    line1: str | None = None,
    line2: str | None = None,
    city: str | None = None,
    region: str | None = None,
    postal_code: str | None = None,
    country: str | None = None,
    phone: str | None = None,
    is_default: bool | None = None,
) -> Address:
    """Change an address (None leaves a field as it is); making it default unsets the other.

    Raises django ValidationError (e.g. an unknown country code)."""
    changes = {
        "label": label,
        "full_name": full_name,
        "line1": line1,
        "line2": line2,
        "city": city,
        "region": region,
        "postal_code": postal_code,
        "country": country,
        "phone": phone,
        "is_default": is_default,
    }
    for name, value in changes.items():
        if value is not None:
            setattr(address, name, value)
    return address_save(address=address)


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """Delete an address; if it was the default, the newest remaining one takes over.
    Raises nothing."""
    user = address.user
    _lock_addresses_of(user)
    was_default = address.is_default
    address.delete()
    if was_default:
        successor = Address.objects.filter(user=user).order_by("-created_at", "id").first()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])


@transaction.atomic
def users_delete(*, user_ids) -> None:
    """Delete users for good (the admin does; the API only deactivates). The apps above
    hear USERS_DELETING first, in this transaction (reviews delete theirs and recompute the
    products' ratings). Raises ProtectedError for users who have orders or payments."""
    user_ids = list(user_ids)
    publish(USERS_DELETING, user_ids=user_ids)
    User.objects.filter(pk__in=user_ids).delete()
