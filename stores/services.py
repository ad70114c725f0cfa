"""Store use cases: applying, staff review (approve, reject, suspend, reinstate), the
owner's edits, and the seller role that follows a store's approval.

The status machine lives here and only here (TRANSITIONS + _transition). Every status
change locks the store row first, so two staff members acting at once cannot both apply
a change from the same starting status.
"""

import re
import secrets
from functools import partial

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from core.events import publish_on_commit
from core.exceptions import BusinessValidationError, Conflict, InvalidTransition
from core.routing import UUID_REGEX
from core.slugs import unique_slug
from stores.cache import stores_changed
from stores.exceptions import StoreExists
from stores.models import RESERVED_SLUGS, Store, StoreKind, StoreStatus
from stores.selectors import store_name_taken
from stores.tasks import send_store_email_task

TRANSITIONS: dict[str, frozenset[str]] = {
    StoreStatus.PENDING: frozenset({StoreStatus.APPROVED, StoreStatus.REJECTED}),
    # A rejected applicant may apply again (store_apply), which makes it pending.
    StoreStatus.REJECTED: frozenset({StoreStatus.PENDING}),
    StoreStatus.APPROVED: frozenset({StoreStatus.SUSPENDED}),
    StoreStatus.SUSPENDED: frozenset({StoreStatus.APPROVED}),
}

# What an owner may change on their own store; name, kind and licence are what staff
# reviewed, so they change only through staff (the admin).
OWNER_WRITABLE_FIELDS = ("description", "contact_email", "country", "logo")

# Announced after commit whenever what the catalog shows of a store changes (its status,
# its name): payload store_id, name, name_changed.
STORE_CHANGED = "store.changed"

NAME_TAKEN = "A store with this name already exists."
SLUG_TAKEN = "A store with this slug already exists."
_UUID_ONLY = re.compile(rf"^{UUID_REGEX}$")


def _lock(store: Store) -> Store:
    return Store.objects.select_for_update().select_related("owner").get(pk=store.pk)


def _transition(*, store: Store, to: str, by=None, only_from: str | None = None, **fields) -> Store:
    """Lock the store, move it to `to` (from `only_from` when given: approving and
    reinstating both lead to approved, each from its own status), set `fields`; raises
    InvalidTransition."""
    store = _lock(store)
    allowed = to in TRANSITIONS[store.status] and only_from in (None, store.status)
    if not allowed:
        raise InvalidTransition(
            _("A store that is %(current)s cannot become %(to)s.")
            % {"current": store.status, "to": to},
            extra={"status": store.status},
        )
    store.status = to
    store.reviewed_by = by if getattr(by, "pk", None) else None
    for name, value in fields.items():
        setattr(store, name, value)
    store.save(update_fields=["status", "reviewed_by", *fields, "updated_at"])
    _announce(store)
    return store


def _announce(store: Store, *, name_changed: bool = False) -> None:
    stores_changed()
    # The catalog above shows this store's products (or stops showing them) and its name.
    publish_on_commit(STORE_CHANGED, store_id=store.pk, name=store.name, name_changed=name_changed)


def _set_seller(user, is_seller: bool) -> None:
    if user.is_seller != is_seller:
        user.is_seller = is_seller
        user.save(update_fields=["is_seller", "updated_at"])


def _queue_email(store: Store, kind: str) -> None:
    transaction.on_commit(partial(send_store_email_task.delay, str(store.pk), kind), robust=True)


def _check_slug(slug: str, *, exclude_id=None) -> None:
    if slug in RESERVED_SLUGS or _UUID_ONLY.match(slug):
        # stores/{slug}/ also answers to a store id and to stores/me/ and stores/apply/.
        raise BusinessValidationError({"slug": [_("This slug is reserved; choose another.")]})
    taken = Store.objects.filter(slug=slug)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise BusinessValidationError({"slug": [SLUG_TAKEN]})


def _free_slug(text: str, *, exclude_id=None) -> str:
    slug = unique_slug(model=Store, text=text, exclude_id=exclude_id)
    if slug in RESERVED_SLUGS:
        slug = unique_slug(model=Store, text=f"{slug}-store", exclude_id=exclude_id)
    return slug


def _save(store: Store, *, update_fields: list[str] | None = None) -> None:
    """Save; a name or slug taken by a concurrent writer since the check is a 409."""
    try:
        with transaction.atomic():
            store.save(update_fields=update_fields)
    except IntegrityError:
        raise Conflict(_("A concurrent change took this name or slug; please retry.")) from None


def _safe_logo(file: File) -> File:
    """Store uploads under a random name with the extension of their real format."""
    file.seek(0)
    with Image.open(file) as image:
        extension = (image.format or "img").lower().replace("jpeg", "jpg")
    file.seek(0)
    file.name = f"{secrets.token_hex(16)}.{extension}"
    return file


# --- applying ---------------------------------------------------------------------------


@transaction.atomic
def store_apply(
    *,
    owner,
    kind: str,
    name: str,
    slug: str = "",
    description: str = "",
    country: str = "",
    contact_email: str = "",
    license_number: str = "",
    license_country: str = "",
) -> Store:
    """Apply for a store; it waits for staff review (pending). A rejected applicant may
    apply again with the same call. Raises StoreExists (409: the user has a pending,
    approved or suspended store), BusinessValidationError (licence missing for a
    dermatologist, name or slug taken or reserved)."""
    existing = Store.objects.select_for_update().filter(owner=owner).first()
    if existing is not None and existing.status != StoreStatus.REJECTED:
        raise StoreExists(
            _("You already have a store (%(status)s).") % {"status": existing.status},
            extra={"status": existing.status},
        )
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if kind == StoreKind.DERMATOLOGIST:
        if not license_number.strip():
            errors["license_number"] = [_("A dermatologist gives their licence number.")]
        if not license_country:
            errors["license_country"] = [_("A dermatologist gives the licence's country.")]
    exclude_id = existing.pk if existing else None
    if store_name_taken(name=name, exclude_id=exclude_id):
        errors["name"] = [NAME_TAKEN]
    if errors:
        raise BusinessValidationError(errors)
    if slug:
        _check_slug(slug, exclude_id=exclude_id)
    store = existing or Store(owner=owner)
    store.kind = kind
    store.name = name
    store.slug = slug or (existing.slug if existing else _free_slug(name))
    store.description = description
    store.country = country
    store.contact_email = contact_email or owner.email
    is_dermatologist = kind == StoreKind.DERMATOLOGIST
    store.license_number = license_number.strip() if is_dermatologist else ""
    store.license_country = license_country if is_dermatologist else ""
    store.status = StoreStatus.PENDING
    store.verified = False
    store.rejection_reason = ""
    store.full_clean(exclude=["owner", "logo"], validate_unique=False, validate_constraints=False)
    _save(store)
    _queue_email(store, "received")
    return store


# --- staff review -----------------------------------------------------------------------


@transaction.atomic
def store_approve(*, store: Store, by=None) -> Store:
    """pending -> approved: the owner becomes a seller, a dermatologist's licence counts as
    verified. Raises InvalidTransition."""
    store = _transition(
        store=store,
        to=StoreStatus.APPROVED,
        by=by,
        only_from=StoreStatus.PENDING,
        approved_at=timezone.now(),
        verified=store.kind == StoreKind.DERMATOLOGIST,
        rejection_reason="",
    )
    _set_seller(store.owner, True)
    _queue_email(store, "approved")
    return store


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BusinessValidationError({"reason": [_("Give the reason; the owner is told.")]})
    return reason[:500]


@transaction.atomic
def store_reject(*, store: Store, by=None, reason: str) -> Store:
    """pending -> rejected with a reason the applicant reads. Raises
    BusinessValidationError (no reason), InvalidTransition."""
    store = _transition(
        store=store, to=StoreStatus.REJECTED, by=by, rejection_reason=_reason(reason)
    )
    _queue_email(store, "rejected")
    return store


@transaction.atomic
def store_suspend(*, store: Store, by=None, reason: str) -> Store:
    """approved -> suspended: its products leave the public catalog and cannot be bought;
    orders already placed are still fulfilled. Raises BusinessValidationError (no
    reason), InvalidTransition."""
    store = _transition(
        store=store,
        to=StoreStatus.SUSPENDED,
        by=by,
        suspension_reason=_reason(reason),
        suspended_at=timezone.now(),
    )
    _queue_email(store, "suspended")
    return store


@transaction.atomic
def store_reinstate(*, store: Store, by=None) -> Store:
    """suspended -> approved; raises InvalidTransition."""
    store = _transition(
        store=store,
        to=StoreStatus.APPROVED,
        by=by,
        only_from=StoreStatus.SUSPENDED,
        suspension_reason="",
    )
    _set_seller(store.owner, True)
    _queue_email(store, "reinstated")
    return store


# --- the seller role --------------------------------------------------------------------


def _default_store_name(user) -> str:
    profile = getattr(user, "profile", None)
    base = (profile.full_name if profile is not None else "") or user.email.split("@")[0]
    name = base[:110].strip() or "Store"
    candidate, suffix = name, 2
    while store_name_taken(name=candidate):
        candidate = f"{name} {suffix}"
        suffix += 1
    return candidate


@transaction.atomic
def seller_role_set(*, user, is_seller: bool, by=None) -> Store | None:
    """Grant or revoke the seller role as staff. Granting approves the user's store
    (making an approved brand store named after them when they have none, or approving
    a pending, rejected or suspended one); revoking suspends an approved store. Returns
    the store (None when revoking from a user without one). Raises nothing."""
    store = Store.objects.select_for_update().filter(owner=user).first()
    if is_seller:
        if store is None:
            name = _default_store_name(user)
            store = Store(
                owner=user,
                kind=StoreKind.BRAND,
                name=name,
                slug=_free_slug(name),
                contact_email=user.email,
                status=StoreStatus.APPROVED,
                approved_at=timezone.now(),
                reviewed_by=by if getattr(by, "pk", None) else None,
            )
            _save(store)
            _announce(store)
        elif store.status != StoreStatus.APPROVED:
            store.status = StoreStatus.APPROVED
            store.verified = store.kind == StoreKind.DERMATOLOGIST
            store.approved_at = store.approved_at or timezone.now()
            store.rejection_reason = store.suspension_reason = ""
            store.reviewed_by = by if getattr(by, "pk", None) else None
            store.save()
            _announce(store)
        _set_seller(user, True)
        return store
    if store is not None and store.status == StoreStatus.APPROVED:
        store = _transition(
            store=store,
            to=StoreStatus.SUSPENDED,
            by=by,
            suspension_reason=_("The seller role was revoked by staff."),
            suspended_at=timezone.now(),
        )
    _set_seller(user, False)
    return store


# --- the owner's edits ------------------------------------------------------------------


@transaction.atomic
def store_update(*, store: Store, data: dict) -> Store:
    """Change what an owner may change (description, contact email, country, logo; a
    replaced logo file is removed after commit). Raises ValidationError."""
    store = _lock(store)
    old_logo = store.logo if "logo" in data else None
    changed = []
    for field in OWNER_WRITABLE_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field == "logo":
            value = _safe_logo(value) if value else ""
        setattr(store, field, value)
        changed.append(field)
    if not changed:
        return store
    store.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)
    store.save(update_fields=[*changed, "updated_at"])
    stores_changed()
    if old_logo and old_logo.name and old_logo.name != store.logo.name:
        storage, name = old_logo.storage, old_logo.name
        transaction.on_commit(lambda: storage.delete(name), robust=True)
    return store


# Fields staff may edit in the admin, besides the review actions.
STAFF_WRITABLE_FIELDS = (
    "kind",
    "name",
    "slug",
    "description",
    "logo",
    "country",
    "contact_email",
    "license_number",
    "license_country",
    "payout_account_id",
)


def store_staff_check(*, store: Store, fields: list[str]) -> None:
    """The rules staff edits of `fields` must keep (the admin's form asks before saving).
    Raises BusinessValidationError (name or slug taken or reserved)."""
    if "name" in fields and store_name_taken(name=store.name, exclude_id=store.pk):
        raise BusinessValidationError({"name": [NAME_TAKEN]})
    if "slug" in fields:
        _check_slug(store.slug, exclude_id=store.pk)


@transaction.atomic
def store_staff_update(*, store: Store, fields: list[str]) -> Store:
    """Save staff edits of the given fields of `store` (already set on the instance).
    Raises BusinessValidationError (name or slug taken or reserved), ValidationError."""
    fields = [name for name in fields if name in STAFF_WRITABLE_FIELDS]
    if not fields:
        return store
    store_staff_check(store=store, fields=fields)
    store.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)
    _save(store, update_fields=[*fields, "updated_at"])
    stores_changed()
    if {"name", "slug"} & set(fields):
        _announce(store, name_changed="name" in fields)
    return store
