from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import (
    BaseUserCreationForm,
    SetUnusablePasswordMixin,
    UserChangeForm,
)
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ADDRESS_FIELDS, Address, Profile, User, normalize_email
from accounts.services import (
    address_save,
    user_create,
    user_tokens_revoke,
    user_update,
    users_delete,
)
from core.exceptions import DomainError
from stores.services import seller_role_set


class UserAddForm(SetUnusablePasswordMixin, BaseUserCreationForm):
    """Email + password (or none, to be set through a password reset). Saving goes through
    the `user_create` service, so the profile is created with the user."""

    usable_password = SetUnusablePasswordMixin.create_usable_password_field()

    class Meta:
        model = User
        fields = ("email",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].required = False
        self.fields["password2"].required = False

    def clean_email(self):
        email = normalize_email(self.cleaned_data.get("email"))
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A user with this email already exists."))
        return email

    def save(self, commit=True):
        # The admin calls save(commit=False) and then saves the returned object itself;
        # creating here (through the service) is what makes the profile exist as well.
        password = (
            self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        )
        user = user_create(email=self.cleaned_data["email"], password=password)
        self.instance = user
        self.save_m2m = lambda: None
        return user


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = [
            "email",
            "password",
            "is_active",
            "is_seller",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        ]
        field_classes = {}


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["first_name", "last_name", "phone", "avatar", "visibility"]


class AddressInline(admin.TabularInline):
    """Read-only here; addresses are edited on their own page, through the services."""

    model = Address
    extra = 0
    fields = ["label", "full_name", "line1", "city", "postal_code", "country", "is_default"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    inlines = [ProfileInline, AddressInline]

    def delete_model(self, request, obj):
        users_delete(user_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        users_delete(user_ids=list(queryset.values_list("pk", flat=True)))

    list_display = [
        "email",
        "full_name",
        "is_active",
        "is_seller",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
    ]
    list_filter = ["is_active", "is_seller", "is_staff", "is_superuser", "date_joined"]
    search_fields = ["email", "profile__first_name", "profile__last_name", "profile__phone"]
    ordering = ["-date_joined"]
    list_select_related = ["profile"]
    readonly_fields = ["date_joined", "last_login", "updated_at"]
    actions = ["grant_seller", "revoke_seller"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Roles"), {"fields": ["is_active", "is_seller", "is_staff", "is_superuser"]}),
        (
            _("Django permissions"),
            {"classes": ["collapse"], "fields": ["groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["date_joined", "last_login", "updated_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "usable_password", "password1", "password2"],
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser grants or revokes staff (and Django permissions).
            readonly += ["is_staff", "is_superuser", "groups", "user_permissions"]
        return readonly

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_tokens_revoke(user=obj)
        if change and "is_seller" in form.changed_data:
            # The seller role is an approved store: open, approve or suspend it.
            seller_role_set(user=obj, is_seller=obj.is_seller, by=request.user)

    def get_inlines(self, request, obj):
        # On the add page the profile does not exist yet: user_create makes it.
        return self.inlines if obj is not None else []

    @admin.display(description=_("name"), ordering="profile__last_name")
    def full_name(self, obj):
        return obj.profile.full_name

    def _set_seller(self, request, queryset, is_seller: bool):
        changed = 0
        for user in queryset:
            try:
                user_update(user=user, by=request.user, is_seller=is_seller)
            except DomainError as exc:
                self.message_user(request, f"{user}: {exc.detail}", messages.ERROR)
            else:
                changed += 1
        return changed

    @admin.action(description=_("Grant seller role"), permissions=["change"])
    def grant_seller(self, request, queryset):
        changed = self._set_seller(request, queryset, True)
        self.message_user(
            request,
            ngettext("%d user is now a seller.", "%d users are now sellers.", changed) % changed,
            messages.SUCCESS,
        )

    @admin.action(description=_("Revoke seller role"), permissions=["change"])
    def revoke_seller(self, request, queryset):
        changed = self._set_seller(request, queryset, False)
        self.message_user(
            request,
            ngettext("%d user is no longer a seller.", "%d users are no longer sellers.", changed)
            % changed,
            messages.SUCCESS,
        )


class AddressAdminForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ["user", "label", *ADDRESS_FIELDS, "is_default"]

    def _get_validation_exclusions(self):
        # Skip the one-default-per-user check here: address_save unsets the previous
        # default before saving, then validates everything (constraints included).
        exclusions = super()._get_validation_exclusions()
        exclusions.add("user")
        return exclusions


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    form = AddressAdminForm
    list_display = ["full_name", "user", "city", "country", "is_default", "created_at"]
    list_filter = ["country", "is_default"]
    search_fields = ["full_name", "line1", "city", "postal_code", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "user"] if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        address_save(address=obj)
