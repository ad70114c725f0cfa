"""Writes of the catalog, with their rules. Views, admin actions and commands call these."""

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max, ProtectedError, Q, QuerySet, RestrictedError
from django.utils import timezone
from PIL import Image

from catalog import tasks
from catalog.cache import (
    catalog_all_products_changed,
    catalog_products_changed,
    catalog_taxonomy_changed,
)
from catalog.models import Brand, Category, Product, ProductImage, SearchTerm
from catalog.search import full_text_search_available, search_document
from catalog.selectors import (
    category_ancestor_ids,
    effective_price_expression,
    product_name_taken,
    store_product_count,
)
from core.db import tables_analyze
from core.events import publish
from core.exceptions import BusinessValidationError, Conflict
from core.slugs import unique_slug
from stores.cache import stores_changed
from stores.exceptions import StoreNotApproved
from stores.models import Store

PRODUCT_NAME_TAKEN = "A product with this name already exists."

# Events for the apps above (core.events), published inside the writing transaction.
# product_id, fields (the writable fields the update named); after product_update saved.
PRODUCT_UPDATED = "catalog.product_updated"
# product_ids; their stock just went from above LOW_STOCK_THRESHOLD to at or below it
# (a checkout's deduction, a product update), once per crossing, not on every sale below.
STOCK_LOW = "catalog.stock_low"
MAX_IMAGES_PER_PRODUCT = 10

# Fields a caller may set on a product; everything else (created_by, slug, ratings,
# deletion flags) is decided here.
PRODUCT_WRITABLE_FIELDS = (
    "name",
    "description",
    "price",
    "currency",
    "discount_percent",
    "discount_starts_at",
    "discount_ends_at",
    "category",
    "brand",
    "stock_quantity",
    "is_active",
    "skin_types",
    "concerns",
    "ingredients",
)
CATEGORY_WRITABLE_FIELDS = ("name", "slug", "parent", "description", "image")
BRAND_WRITABLE_FIELDS = ("name", "slug", "description", "logo")


# --- helpers ----------------------------------------------------------------------------


def _safe_upload_name(file: File) -> File:
    """Store uploads under a random name with the extension of their real format, so a
    client-chosen name (`../x.html`, `photo.png` that is a GIF) never reaches the disk."""
    file.seek(0)
    with Image.open(file) as image:
        extension = (image.format or "img").lower().replace("jpeg", "jpg")
    file.seek(0)
    file.name = f"{secrets.token_hex(16)}.{extension}"
    return file


def _delete_on_commit(field_file) -> None:
    """Remove a stored file once the row that pointed at it is gone for good."""
    if not field_file:
        return
    storage, name = field_file.storage, field_file.name
    transaction.on_commit(lambda: storage.delete(name))


def _save_unique(instance: models.Model) -> None:
    """Save; a unique value taken by a concurrent writer since full_clean() checked it is
    a 409, not a 500."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise Conflict("A concurrent change took this name or slug; please retry.") from None


def _delete_protected(instance: models.Model, message: str) -> None:
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError):
        raise Conflict(message) from None


def _apply_changes(*, instance, data: dict[str, Any], fields: tuple[str, ...], file_field: str):
    """Set the given writable fields of a category or brand, regenerate a blanked slug,
    store a new picture under a safe name and drop the replaced one after commit."""
    old_file = getattr(instance, file_field) if file_field in data else None
    for field in fields:
        if field not in data:
            continue
        value = data[field]
        if field == "slug" and not value:
            value = unique_slug(
                model=type(instance), text=data.get("name", instance.name), exclude_id=instance.pk
            )
        if field == file_field:
            value = _safe_upload_name(value) if value else ""
        setattr(instance, field, value)
    instance.full_clean()
    _save_unique(instance)
    if old_file and old_file.name != getattr(instance, file_field).name:
        _delete_on_commit(old_file)
    return instance


# --- search documents -------------------------------------------------------------------

# Products per transaction when search documents are rewritten in bulk: each batch holds its
# rows' locks only for its own UPDATE, so checkouts of those products wait at most that long.
SEARCH_REINDEX_BATCH = 5_000

# The words of names, as catalog.models.SearchTerm keeps them (catalog 0009 fills the table
# with the same rule): numbers and words under three letters are no use for typo correction.
_TERMS_INSERT = """
    INSERT INTO catalog_searchterm (term) SELECT DISTINCT word FROM ({words}) AS words
    WHERE length(word) BETWEEN 3 AND 100 AND word !~ '^[0-9]+$'
    ON CONFLICT DO NOTHING
"""
_WORDS_OF = "SELECT unnest(tsvector_to_array(to_tsvector('simple', {text}))) AS word"


def search_terms_add(*, names: list[str]) -> None:
    """Record the words of these names for typo correction (PostgreSQL only); raises
    nothing."""
    if not full_text_search_available() or not names:
        return
    with connection.cursor() as cursor:
        cursor.execute(_TERMS_INSERT.format(words=_WORDS_OF.format(text="%s")), [" ".join(names)])


def _index_products(products: QuerySet[Product]) -> int:
    if not full_text_search_available():
        return 0
    return products.update(search_vector=search_document())


def product_search_reindex(
    *, products: QuerySet[Product] | None = None, only_missing: bool = False
) -> int:
    """Rewrite the search documents of `products` (every product when None; with
    `only_missing` those without one) in batches of SEARCH_REINDEX_BATCH by primary key,
    each in its own transaction, then refresh the planner's statistics; returns how many
    were written. Not atomic on purpose: a million rows in one transaction would hold their
    locks for minutes. Invalidates the cached lists after each batch. Raises nothing."""
    if not full_text_search_available():
        return 0
    products = (Product.objects.all() if products is None else products).order_by("pk")
    if only_missing:
        products = products.filter(search_vector__isnull=True)
    written, last = 0, None
    while True:
        rest = products if last is None else products.filter(pk__gt=last)
        batch_ids = list(rest.values_list("pk", flat=True)[:SEARCH_REINDEX_BATCH])
        if not batch_ids:
            break
        with transaction.atomic():
            written += _index_products(Product.objects.filter(pk__in=batch_ids))
            catalog_products_changed(product_ids=batch_ids)
        last = batch_ids[-1]
    if written:
        tables_analyze(Product)
    return written


@transaction.atomic
def search_terms_rebuild() -> int:
    """Rebuild the words used for typo correction from every current name, then refresh
    their statistics; returns how many there are. Raises nothing."""
    if not full_text_search_available():
        return 0
    SearchTerm.objects.all().delete()
    with connection.cursor() as cursor:
        for model in (Product, Brand, Category, Store):
            words = _WORDS_OF.format(text="name") + f" FROM {model._meta.db_table}"
            cursor.execute(_TERMS_INSERT.format(words=words))
    # Every row was replaced: the statistics typo correction's plans use are stale.
    tables_analyze(SearchTerm)
    return SearchTerm.objects.count()


def _reindex_on_commit(**filters) -> None:
    transaction.on_commit(lambda: tasks.reindex_products_task.delay(**filters), robust=True)


# --- categories -------------------------------------------------------------------------


def _check_parent(*, category: Category, parent: Category | None) -> None:
    if parent is None or category.pk is None:
        return
    if parent.pk == category.pk or category.pk in category_ancestor_ids(category_id=parent.pk):
        raise BusinessValidationError(
            {"parent": ["A category cannot be its own parent or ancestor."]}
        )


@transaction.atomic
def category_create(
    *,
    name: str,
    slug: str = "",
    parent: Category | None = None,
    description: str = "",
    image: File | None = None,
) -> Category:
    """Create a category (slug from the name if blank); raises ValidationError, Conflict."""
    category = Category(
        name=name,
        slug=slug or unique_slug(model=Category, text=name),
        parent=parent,
        description=description,
    )
    if image:
        category.image = _safe_upload_name(image)
    category.full_clean()
    _save_unique(category)
    search_terms_add(names=[category.name])
    catalog_taxonomy_changed()
    return category


@transaction.atomic
def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    """Change a category; raises BusinessValidationError (a cycle), ValidationError, Conflict."""
    if "parent" in data:
        _check_parent(category=category, parent=data["parent"])
    old_name = category.name
    category = _apply_changes(
        instance=category, data=data, fields=CATEGORY_WRITABLE_FIELDS, file_field="image"
    )
    category_changed(category=category, old_name=old_name)
    return category


def category_changed(*, category: Category, old_name: str | None) -> None:
    """After a category was saved (here or in the admin): cached reads are stale after
    commit, and a new name is searchable in its products' documents (re-indexed in batches
    after commit). Raises nothing."""
    catalog_taxonomy_changed()
    if old_name != category.name:
        search_terms_add(names=[category.name])
        _reindex_on_commit(category_id=str(category.pk))


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Delete a category; raises Conflict while it still has products or subcategories."""
    image = category.image
    _delete_protected(
        category,
        "This category still has products or subcategories; move or delete them first.",
    )
    _delete_on_commit(image)
    catalog_taxonomy_changed()


# --- brands -----------------------------------------------------------------------------


@transaction.atomic
def brand_create(
    *, name: str, slug: str = "", description: str = "", logo: File | None = None
) -> Brand:
    """Create a brand (slug from the name if blank); raises ValidationError, Conflict."""
    brand = Brand(
        name=name, slug=slug or unique_slug(model=Brand, text=name), description=description
    )
    if logo:
        brand.logo = _safe_upload_name(logo)
    brand.full_clean()
    _save_unique(brand)
    search_terms_add(names=[brand.name])
    catalog_taxonomy_changed()
    return brand


@transaction.atomic
def brand_update(*, brand: Brand, data: dict[str, Any]) -> Brand:
    """Change a brand; raises ValidationError, Conflict."""
    old_name = brand.name
    brand = _apply_changes(
        instance=brand, data=data, fields=BRAND_WRITABLE_FIELDS, file_field="logo"
    )
    brand_changed(brand=brand, old_name=old_name)
    return brand


def brand_changed(*, brand: Brand, old_name: str | None) -> None:
    """After a brand was saved (here or in the admin): like category_changed. Raises
    nothing."""
    catalog_taxonomy_changed()
    if old_name != brand.name:
        search_terms_add(names=[brand.name])
        _reindex_on_commit(brand_id=str(brand.pk))


@transaction.atomic
def brand_delete(*, brand: Brand) -> None:
    """Delete a brand; raises Conflict while products (even soft-deleted ones) use it."""
    logo = brand.logo
    _delete_protected(brand, "This brand still has products; reassign or remove them first.")
    _delete_on_commit(logo)
    catalog_taxonomy_changed()


# --- products ---------------------------------------------------------------------------


def _check_discount_window(product: Product) -> None:
    starts, ends = product.discount_starts_at, product.discount_ends_at
    if starts and ends and ends <= starts:
        raise BusinessValidationError(
            {"discount_ends_at": ["The discount must end after it starts."]}
        )


def _end_zero_discount(product: Product) -> None:
    # A discount of 0 % is no discount: the promotion ends, its window with it.
    if product.discount_percent is not None and product.discount_percent == 0:
        product.discount_percent = None
        product.discount_starts_at = None
        product.discount_ends_at = None


def ingredient_names_normalise(names) -> list[str]:
    """Ingredient names as they are stored and compared (a product's ingredients, a
    customer's allergies): lower case, inner whitespace collapsed, unique, sorted."""
    return sorted({" ".join(str(name).split()).lower() for name in names} - {""})


def _normalise_skin_attributes(product: Product) -> None:
    # Stored canonical so that equal lists compare equal and the JSON text search used on
    # SQLite (catalog.selectors.json_list_has_q) sees one spelling of each value.
    product.skin_types = sorted(set(product.skin_types or []))
    product.concerns = sorted(set(product.concerns or []))
    product.ingredients = ingredient_names_normalise(product.ingredients or [])


def _save_product(product: Product) -> None:
    """Validate and save. Two writers can both pass the name check; the partial unique
    index decides, and the loser gets a 400 on `name` instead of a 500."""
    _end_zero_discount(product)
    _normalise_skin_attributes(product)
    _check_discount_window(product)
    if product_name_taken(name=product.name, exclude_id=product.pk):
        raise BusinessValidationError({"name": [PRODUCT_NAME_TAKEN]})
    # The check constraints repeat the fields' own validators, and the name constraint was
    # just checked with a field error, so only fields and unique fields are validated here.
    # current_price is derived from the validated fields, so it is set after them.
    product.full_clean(exclude=["current_price"], validate_constraints=False)
    product.set_current_price()
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        if "catalog_product_name_ci_unique" in str(exc):
            raise BusinessValidationError({"name": [PRODUCT_NAME_TAKEN]}) from None
        raise Conflict("The product changed concurrently; please retry.") from None
    product_changed(product=product)


def product_changed(*, product: Product) -> None:
    """After a product's row was written (here or in the admin): its search document and
    name words follow in the same transaction; cached reads are stale after commit. Raises
    nothing."""
    _index_products(Product.objects.filter(pk=product.pk))
    search_terms_add(names=[product.name])
    catalog_products_changed(product_ids=[product.pk])


def stock_crossed_low(*, before: int, after: int) -> bool:
    """Whether stock going from `before` to `after` crossed down to the low-stock
    threshold (LOW_STOCK_THRESHOLD): above it before, at or below it after."""
    threshold = settings.LOW_STOCK_THRESHOLD
    return before > threshold >= after


def product_store_for(*, user, store: Store | None) -> Store:
    """The store a new product of `user` goes to: a seller's own store (another one they
    name is refused), the store staff name (their own approved store when they name
    none). Raises BusinessValidationError (on `store`), StoreNotApproved."""
    own = Store.objects.filter(owner=user).first() if user.is_authenticated else None
    if user.is_staff:
        chosen = store or own
        if chosen is None:
            raise BusinessValidationError({"store": ["Name the store that sells the product."]})
        return chosen
    if own is None:
        raise StoreNotApproved("You have no store; apply with POST stores/apply/.")
    if store is not None and store.pk != own.pk:
        raise BusinessValidationError({"store": ["You can list products only in your store."]})
    return own


@transaction.atomic
def store_product_count_refresh(*, store_ids) -> None:
    """Recount the products on sale of each store (the storefront's `product_count`),
    locking the store rows in id order, after the product rows (every writer takes
    product, then store). Raises nothing."""
    for store_id in sorted({pk for pk in store_ids if pk is not None}):
        Store.objects.select_for_update(no_key=True).filter(pk=store_id).values_list("pk").first()
        Store.objects.filter(pk=store_id).update(
            product_count=store_product_count(store_id=store_id)
        )
    stores_changed()


@transaction.atomic
def product_create(
    *,
    created_by,
    store: Store,
    name: str,
    price: Decimal,
    category: Category,
    description: str = "",
    currency: str | None = None,
    discount_percent: Decimal | None = None,
    discount_starts_at: datetime | None = None,
    discount_ends_at: datetime | None = None,
    brand: Brand | None = None,
    stock_quantity: int = 0,
    is_active: bool = True,
    skin_types: list[str] | None = None,
    concerns: list[str] | None = None,
    ingredients: list[str] | None = None,
) -> Product:
    """List a product in `store` (created by `created_by`); raises StoreNotApproved (the
    store is pending, rejected or suspended), BusinessValidationError, ValidationError."""
    if not store.is_approved:
        raise StoreNotApproved()
    product = Product(
        store=store,
        name=name,
        slug=unique_slug(model=Product, text=name),
        description=description,
        price=price,
        currency=currency or settings.DEFAULT_CURRENCY,
        discount_percent=discount_percent,
        discount_starts_at=discount_starts_at,
        discount_ends_at=discount_ends_at,
        category=category,
        brand=brand,
        stock_quantity=stock_quantity,
        is_active=is_active,
        skin_types=skin_types or [],
        concerns=concerns or [],
        ingredients=ingredients or [],
        created_by=created_by,
    )
    _save_product(product)
    store_product_count_refresh(store_ids=[store.pk])
    return product


@transaction.atomic
def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    """Change a product's writable fields; raises BusinessValidationError, ValidationError."""
    stock_before = product.stock_quantity
    # The slug is left alone on a rename: links to the product keep working.
    for field in PRODUCT_WRITABLE_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    _save_product(product)
    if "is_active" in data:
        store_product_count_refresh(store_ids=[product.store_id])
    fields = sorted(field for field in PRODUCT_WRITABLE_FIELDS if field in data)
    publish(PRODUCT_UPDATED, product_id=product.pk, fields=fields)
    if "stock_quantity" in data and stock_crossed_low(
        before=stock_before, after=product.stock_quantity
    ):
        publish(STOCK_LOW, product_ids=[product.pk])
    return product


DISCOUNT_FIELDS = [
    "discount_percent",
    "discount_starts_at",
    "discount_ends_at",
    "current_price",
    "updated_at",
]


@transaction.atomic
def product_set_discount(
    *,
    product: Product,
    discount_percent: Decimal,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Product:
    """Put a percent discount on the product, active from `starts_at` (now when None)
    until `ends_at` (no end when None), replacing any it had. Orders already placed keep
    the price they were placed at. Raises BusinessValidationError (percent not strictly
    between 0 and 100, end not after start, end already past)."""
    errors = {}
    if not Decimal(0) < discount_percent < Decimal(100):
        errors["discount_percent"] = ["The discount must be between 0 and 100 percent."]
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = ["The discount must end after it starts."]
    elif ends_at and ends_at <= timezone.now():
        errors["ends_at"] = ["The discount would already be over; give a future end."]
    if errors:
        raise BusinessValidationError(errors)
    product.discount_percent = discount_percent
    product.discount_starts_at = starts_at
    product.discount_ends_at = ends_at
    product.full_clean(validate_unique=False, validate_constraints=False)
    product.set_current_price()
    # Only the discount columns: a full save would write back the stock read before, over
    # a checkout's deduction made meanwhile.
    product.save(update_fields=DISCOUNT_FIELDS)
    catalog_products_changed(product_ids=[product.pk])
    return product


@transaction.atomic
def product_clear_discount(*, product: Product) -> Product:
    """Remove the product's discount (scheduled or running); raises nothing."""
    product.discount_percent = None
    product.discount_starts_at = None
    product.discount_ends_at = None
    product.set_current_price()
    product.save(update_fields=DISCOUNT_FIELDS)
    catalog_products_changed(product_ids=[product.pk])
    return product


# Celery beat runs product_prices_refresh every minute; looking back ten minutes makes the
# runs overlap (harmless: rows already right are not written), so a few missed runs lose
# nothing. After a longer outage, run `refresh_product_prices --all`.
PRICE_REFRESH_LOOKBACK = timedelta(minutes=10)


@transaction.atomic
def product_prices_refresh(*, since: datetime | None = None, all_products: bool = False) -> int:
    """Recompute the stored current_price of products whose discount window opened or
    closed after `since` (default: PRICE_REFRESH_LOOKBACK ago) and by now, or of every
    product with `all_products`, in ONE UPDATE that writes only the rows whose stored
    value differs; returns how many changed. Raises nothing."""
    now = timezone.now()
    products = Product.objects.all()
    if not all_products:
        since = now - PRICE_REFRESH_LOOKBACK if since is None else since
        # Served by the partial indexes on the two window columns.
        products = products.filter(
            Q(discount_starts_at__gt=since, discount_starts_at__lte=now)
            | Q(discount_ends_at__gt=since, discount_ends_at__lte=now)
        )
    # One `now` for the window test and the price, so a boundary between the two reads
    # cannot be half applied.
    price_now = effective_price_expression(at=now)
    stale = products.exclude(current_price=price_now)
    # Which products changed, for the cache: the rows are locked first, so none can change
    # between this read and the UPDATE.
    changed_ids = list(stale.select_for_update().values_list("pk", flat=True))
    if not changed_ids:
        return 0
    updated = Product.objects.filter(pk__in=changed_ids).update(current_price=price_now)
    catalog_products_changed(product_ids=changed_ids)
    return updated


@transaction.atomic
def product_soft_delete(*, product: Product) -> Product:
    """Soft-delete a product, freeing its name; raises nothing."""
    product.is_deleted = True
    product.deleted_at = timezone.now()
    product.save(update_fields=["is_deleted", "deleted_at", "updated_at"])
    store_product_count_refresh(store_ids=[product.store_id])
    catalog_products_changed(product_ids=[product.pk])
    return product


@transaction.atomic
def product_set_active(*, products: QuerySet[Product], is_active: bool) -> int:
    """Activate or deactivate products, returning how many changed; raises nothing."""
    changing = products.exclude(is_active=is_active)
    changed_ids = list(changing.select_for_update().values_list("pk", flat=True))
    if not changed_ids:
        return 0
    catalog_products_changed(product_ids=changed_ids)
    changed = Product.objects.filter(pk__in=changed_ids).update(
        is_active=is_active, updated_at=timezone.now()
    )
    store_ids = set(
        Product.objects.filter(pk__in=changed_ids).values_list("store_id", flat=True).distinct()
    )
    store_product_count_refresh(store_ids=store_ids)
    return changed


def _lock_product(product: Product) -> None:
    # Serialize image changes of one product (first-image-is-primary, promotion on delete)
    # by locking its row; a no-op on SQLite, which locks the whole database anyway.
    Product.objects.select_for_update().filter(pk=product.pk).values_list("pk").first()


@transaction.atomic
def product_image_add(
    *, product: Product, image: File, alt_text: str = "", is_primary: bool = False
) -> ProductImage:
    """Attach an image (first or asked-for = sole primary); raises BusinessValidationError."""
    _lock_product(product)
    existing = ProductImage.objects.filter(product=product)
    stats = existing.aggregate(count=models.Count("id"), last=Max("position"))
    if stats["count"] >= MAX_IMAGES_PER_PRODUCT:
        raise BusinessValidationError(
            {"image": [f"A product can have at most {MAX_IMAGES_PER_PRODUCT} images."]}
        )
    make_primary = is_primary or stats["count"] == 0
    if make_primary:
        # Same transaction: the one-primary constraint never sees two.
        existing.filter(is_primary=True).update(is_primary=False)
    # Positions only order images; capped so endless add/delete cycles cannot overflow.
    position = 0 if stats["last"] is None else min(stats["last"] + 1, 32_767)
    product_image = ProductImage(
        product=product,
        image=_safe_upload_name(image),
        alt_text=alt_text,
        is_primary=make_primary,
        position=position,
    )
    product_image.save()
    catalog_products_changed(product_ids=[product.pk])
    return product_image


@transaction.atomic
def product_image_delete(*, product_image: ProductImage) -> None:
    """Remove an image and its file, promoting the next to primary; raises nothing."""
    product = product_image.product
    _lock_product(product)
    was_primary = product_image.is_primary
    stored = product_image.image
    product_image.delete()
    if was_primary:
        following = (
            ProductImage.objects.filter(product=product).order_by("position", "created_at").first()
        )
        if following is not None:
            following.is_primary = True
            following.save(update_fields=["is_primary", "updated_at"])
    _delete_on_commit(stored)
    catalog_products_changed(product_ids=[product.pk])


def store_changed(*, store_id, name: str, name_changed: bool) -> None:
    """After a store was approved, suspended, reinstated or renamed (the stores app
    announces it): every product list and detail may show it differently (its products
    appear or leave, or show its new name); a new name is also re-indexed for search.
    Raises nothing."""
    catalog_all_products_changed()
    if name_changed:
        search_terms_add(names=[name])
        _reindex_on_commit(store_id=str(store_id))
