"""Shapes and field validation of the accounts API. No writes here: views call services."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import PasswordField
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import ADDRESS_FIELDS, Address, Profile, User
from core.countries import validate_country_code
from core.validators import validate_image_upload

validate_phone = RegexValidator(
    r"^\+?[0-9][0-9 ().-]{4,30}$",
    _("Enter a phone number of digits, optionally starting with + (e.g. +1 555 123 4567)."),
)


# --- users and profiles ---------------------------------------------------------------


class ProfileSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, validators=[validate_phone]
    )
    avatar = serializers.FileField(
        required=False,
        allow_null=True,
        validators=[validate_image_upload],
        help_text="JPEG, PNG, WebP or GIF, sent as multipart (`profile.avatar`); null removes it.",
    )

    class Meta:
        model = Profile
        fields = ["first_name", "last_name", "phone", "avatar", "visibility"]


class UserSerializer(serializers.ModelSerializer):
    """The caller's own account. Email and roles are read-only; the profile is writable."""

    profile = ProfileSerializer(required=False)

    class Meta:
        model = User
        fields = ["id", "email", "is_seller", "is_staff", "date_joined", "profile"]
        read_only_fields = ["id", "email", "is_seller", "is_staff", "date_joined"]


class AdminUserSerializer(serializers.ModelSerializer):
    """An account as staff see it and change it (status, roles, profile)."""

    profile = ProfileSerializer(required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "is_active",
            "is_seller",
            "is_staff",
            "is_superuser",
            "date_joined",
            "last_login",
            "profile",
        ]
        read_only_fields = ["id", "email", "is_superuser", "date_joined", "last_login"]


class AdminUserCreateInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = PasswordField()
    is_seller = serializers.BooleanField(default=False)
    is_staff = serializers.BooleanField(
        default=False, help_text="Only a superuser may create staff."
    )


class RegisterInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = PasswordField(help_text="Checked by the password validators.")
    first_name = serializers.CharField(max_length=150, required=False, default="")
    last_name = serializers.CharField(max_length=150, required=False, default="")


class PasswordChangeInput(serializers.Serializer):
    old_password = PasswordField()
    new_password = PasswordField(help_text="Checked by the password validators.")


class PasswordResetInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInput(serializers.Serializer):
    uid = serializers.CharField(max_length=64, help_text="The `uid` from the emailed link.")
    token = serializers.CharField(max_length=128, help_text="The `token` from the emailed link.")
    new_password = PasswordField(help_text="Checked by the password validators.")


# --- tokens ---------------------------------------------------------------------------


def _verified_refresh_token(value: str) -> RefreshToken:
    """The refresh token, its signature, expiry and blacklist checked; a bad one is a 401."""
    try:
        return RefreshToken(value)
    except TokenError as exc:
        raise InvalidToken(exc.args[0]) from exc


class TokenRefreshInput(serializers.Serializer):
    """simplejwt's refresh, hardened: a refresh token whose user was deleted, deactivated
    or changed password since it was issued is refused with a 401 (simplejwt would answer
    a 500 for a deleted user and mint a useless access token after a password change), and
    a token can be rotated only once even by two concurrent requests."""

    # The input is the refresh token, verified here; accounts.services.refresh_token_rotate
    # mints the answer, which has this shape too.

    refresh = serializers.CharField()
    access = serializers.CharField(read_only=True)

    class Meta:
        ref_name = "TokenRefresh"

    def validate_refresh(self, value: str) -> RefreshToken:
        return _verified_refresh_token(value)


class LogoutInput(serializers.Serializer):
    refresh = serializers.CharField(help_text="The refresh token to revoke.")

    def validate_refresh(self, value: str) -> RefreshToken:
        return _verified_refresh_token(value)


# --- addresses ------------------------------------------------------------------------


class AddressSerializer(serializers.ModelSerializer):
    country = serializers.CharField(
        max_length=2,
        validators=[validate_country_code],
        help_text="ISO 3166-1 alpha-2 code, upper case (e.g. US, DE).",
    )
    phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, validators=[validate_phone]
    )
    is_default = serializers.BooleanField(
        required=False,
        help_text="Making this address the default unsets the previous default. "
        "A user's first address is the default.",
    )

    class Meta:
        model = Address
        fields = ["id", "label", *ADDRESS_FIELDS, "is_default", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
