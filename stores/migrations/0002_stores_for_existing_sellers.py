# Hand-written: every user who was a seller before stores existed (the is_seller flag, or
# the creator of products) gets an approved store, and their products move into it. Not
# atomic: products are moved in batches by primary key, each batch its own transaction, so
# a checkout waits for at most one batch's row locks; a rerun continues where it stopped.

import secrets

from django.db import migrations, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

BATCH_SIZE = 20_000
RESERVED_SLUGS = {"apply", "me"}


def _free_name(Store, alias, base: str) -> str:
    base = base[:110].strip() or "Store"
    candidate, suffix = base, 2
    while Store.objects.using(alias).filter(name__iexact=candidate).exists():
        candidate = f"{base} {suffix}"
        suffix += 1
    return candidate


def _free_slug(Store, alias, name: str) -> str:
    base = slugify(name)[:133].strip("-") or "store"
    candidate = base
    while candidate in RESERVED_SLUGS or Store.objects.using(alias).filter(slug=candidate).exists():
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate


def _move_products(Product, alias, *, owner_id, store_id) -> None:
    products = Product.objects.using(alias).filter(created_by_id=owner_id, store__isnull=True)
    while True:
        with transaction.atomic(using=alias):
            ids = list(products.order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE])
            if not ids:
                return
            Product.objects.using(alias).filter(pk__in=ids).update(store_id=store_id)


def stores_for_sellers(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Profile = apps.get_model("accounts", "Profile")
    Store = apps.get_model("stores", "Store")
    Product = apps.get_model("catalog", "Product")
    alias = schema_editor.connection.alias
    creators = Product.objects.using(alias).filter(created_by__isnull=False)
    sellers = User.objects.using(alias).filter(
        Q(is_seller=True) | Q(pk__in=creators.values("created_by_id"))
    )
    now = timezone.now()
    for user in sellers.order_by("date_joined", "pk").iterator():
        store = Store.objects.using(alias).filter(owner_id=user.pk).first()
        if store is None:
            profile = Profile.objects.using(alias).filter(user_id=user.pk).first()
            full_name = f"{profile.first_name} {profile.last_name}".strip() if profile else ""
            name = _free_name(Store, alias, full_name or user.email.split("@")[0])
            store = Store.objects.using(alias).create(
                owner_id=user.pk,
                kind="brand",
                name=name,
                slug=_free_slug(Store, alias, name),
                contact_email=user.email,
                status="approved",
                approved_at=now,
            )
        if not user.is_seller:
            User.objects.using(alias).filter(pk=user.pk).update(is_seller=True)
        _move_products(Product, alias, owner_id=user.pk, store_id=store.pk)
        Store.objects.using(alias).filter(pk=store.pk).update(
            product_count=Product.objects.using(alias)
            .filter(store_id=store.pk, is_active=True, is_deleted=False)
            .count()
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("stores", "0001_initial"),
        ("catalog", "0008_product_store"),
        ("accounts", "0002_address_country_validator"),
    ]

    operations = [
        migrations.RunPython(stores_for_sellers, migrations.RunPython.noop, elidable=True),
    ]
