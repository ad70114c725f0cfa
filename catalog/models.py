from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func
from django.db.models.functions import Lower
from django.utils import timezone

from core.models import BaseModel
from core.money import quantize_money
from stores.models import StoreStatus


class BytewiseLower(Func):
    """LOWER(expression) compared byte by byte ("C" collation on PostgreSQL; SQLite compares
    bytes anyway), so a prefix LIKE and an ORDER BY of it use one index whatever the
    database's collation."""

    function = "LOWER"
    output_field = models.CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, **extra_context)
        return f'({sql} COLLATE "C")', params


class SkinType(models.TextChoices):
    DRY = "dry", "Dry"
    OILY = "oily", "Oily"
    COMBINATION = "combination", "Combination"
    NORMAL = "normal", "Normal"
    SENSITIVE = "sensitive", "Sensitive"


class SkinConcern(models.TextChoices):
    ACNE = "acne", "Acne"
    PIGMENTATION = "pigmentation", "Pigmentation"
    REDNESS = "redness", "Redness"
    AGING = "aging", "Aging"
    DRYNESS = "dryness", "Dryness"
    DULLNESS = "dullness", "Dullness"
    PORES = "pores", "Pores"
    SENSITIVITY = "sensitivity", "Sensitivity"


class Category(BaseModel):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    image = models.ImageField(upload_to="categories/", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        indexes = [models.Index(fields=["name"], name="catalog_category_name_idx")]

    def __str__(self):
        return self.name


class Brand(BaseModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    logo = models.ImageField(upload_to="brands/", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(BaseModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("99.99"))],
        help_text="Optional percent off the price, active within the window below.",
    )
    discount_starts_at = models.DateTimeField(null=True, blank=True)
    discount_ends_at = models.DateTimeField(null=True, blank=True)
    # Stored so the listing can filter and sort by price with an index (a CASE over the
    # discount window computed per row cannot use one).
    current_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        editable=False,
        help_text=(
            "The effective price as of the last refresh: exact after every write through the "
            "services; at a scheduled discount start/end it lags until the refresh job runs "
            "(every minute)."
        ),
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    stock_quantity = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The store that sells it. Null only for products listed before stores existed whose
    # seller account was gone by then: nobody can fulfil them, so they are not on sale
    # until staff give them a store.
    # No index of its own: catalog_prod_store_new_idx starts with it.
    store = models.ForeignKey(
        "stores.Store",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
    )
    # Kept up to date by the reviews app in the same transaction as the review change.
    average_rating = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0"))
    review_count = models.PositiveIntegerField(default=0)
    # The full-text search document on PostgreSQL: name (weight A), brand (B), category
    # (C), description (D), see catalog.search. Written by the catalog services and by
    # `manage.py reindex_products`; null on other databases, which search without it.
    search_vector = SearchVectorField(null=True, editable=False)
    # What the product is for and what is in it: JSON lists of SkinType / SkinConcern
    # values and of lower-case ingredient names, kept sorted and unique by the services.
    # JSON rather than ArrayField so SQLite runs the suite too; on PostgreSQL the GIN
    # indexes below serve `skin_types @> '["dry"]'` (catalog.selectors.json_list_has_q).
    skin_types = models.JSONField(default=list, blank=True)
    concerns = models.JSONField(default=list, blank=True)
    ingredients = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A soft-deleted product gives its name back.
            models.UniqueConstraint(
                Lower("name"),
                condition=models.Q(is_deleted=False),
                name="catalog_product_name_ci_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(price__gt=0), name="catalog_product_price_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(stock_quantity__gte=0),
                name="catalog_product_stock_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__isnull=True)
                | models.Q(discount_percent__gt=0, discount_percent__lt=100),
                name="catalog_product_discount_range",
            ),
        ]
        indexes = [
            # The public listing, newest first with its tie-breaker: a page is read in
            # index order, and a cursor page starts where the previous one ended (a row
            # comparison on both columns is one index range).
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(is_active=True, is_deleted=False),
                name="catalog_prod_visible_key_idx",
            ),
            # Full-text search (catalog.search); the trigram index on UPPER(name) (catalog
            # 0002) serves partial matches and typos.
            GinIndex(fields=["search_vector"], name="catalog_product_search_gin"),
            # products/?skin_type= and ?concern= (jsonb containment).
            GinIndex(
                fields=["skin_types"], opclasses=["jsonb_path_ops"], name="catalog_prod_skin_gin"
            ),
            GinIndex(
                fields=["concerns"], opclasses=["jsonb_path_ops"], name="catalog_prod_concern_gin"
            ),
            # products/suggest/: visible names starting with what is typed, in name order:
            # a range of this index, byte-wise (LIKE 'ab%' and ORDER BY both work whatever
            # the database collation).
            models.Index(
                BytewiseLower("name"),
                condition=models.Q(is_active=True, is_deleted=False),
                name="catalog_prod_name_prefix_idx",
            ),
            models.Index(fields=["price"], name="catalog_product_price_idx"),
            # `ordering=price` / `-price` with the listing's tie-breakers (newest first, then
            # id), so a visible page is read in index order and the scan stops after it;
            # min_price/max_price become a range on the same index.
            models.Index(
                fields=["current_price", "-created_at", "id"],
                condition=models.Q(is_active=True, is_deleted=False),
                name="catalog_prod_price_asc_idx",
            ),
            models.Index(
                fields=["-current_price", "-created_at", "id"],
                condition=models.Q(is_active=True, is_deleted=False),
                name="catalog_prod_price_desc_idx",
            ),
            # The price refresh looks for discount windows that opened or closed in the last
            # minutes; few products have a window at all.
            models.Index(
                fields=["discount_starts_at"],
                condition=models.Q(discount_starts_at__isnull=False),
                name="catalog_prod_disc_starts_idx",
            ),
            models.Index(
                fields=["discount_ends_at"],
                condition=models.Q(discount_ends_at__isnull=False),
                name="catalog_prod_disc_ends_idx",
            ),
            models.Index(fields=["name"], name="catalog_product_name_idx"),
            models.Index(fields=["-average_rating"], name="catalog_product_rating_idx"),
            models.Index(fields=["is_active", "is_deleted"], name="catalog_product_visible_idx"),
            # A store's products, newest first: storefront listings, the store's figures.
            models.Index(fields=["store", "-created_at"], name="catalog_prod_store_new_idx"),
            # Low-stock reports read the few sellable products with the least stock first.
            # Low-stock reports: the sellable products with the least stock, by name. Only
            # rows with little stock, so that a name search over the whole catalog never
            # mistakes this index for a cheap way to scan every name.
            models.Index(
                fields=["stock_quantity", "name"],
                condition=models.Q(is_active=True, is_deleted=False, stock_quantity__lte=100),
                name="catalog_prod_low_stock_idx",
            ),
        ]

    def __str__(self):
        return self.name

    def discount_active(self, at=None) -> bool:
        if not self.discount_percent:
            return False
        at = at or timezone.now()
        if self.discount_starts_at and at < self.discount_starts_at:
            return False
        return not (self.discount_ends_at and at >= self.discount_ends_at)

    @property
    def effective_price(self) -> Decimal:
        """The price a buyer pays now: the price less an active discount."""
        if not self.discount_active():
            return self.price
        return quantize_money(self.price * (Decimal(100) - self.discount_percent) / Decimal(100))

    def set_current_price(self) -> None:
        """Store effective_price in current_price; every write of the price or the discount
        calls this before saving (services, admin, seeding)."""
        self.current_price = quantize_money(self.effective_price)

    @property
    def is_sellable(self) -> bool:
        """On sale now: active, not deleted, and its store approved (the Python twin of
        catalog.selectors.sellable_q; reads the store, so select it with the product)."""
        return (
            self.is_active
            and not self.is_deleted
            and self.store_id is not None
            and self.store.status == StoreStatus.APPROVED
        )

    @property
    def in_stock(self) -> bool:
        return self.stock_quantity > 0


class ProductImage(BaseModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="products/%Y/%m/")
    alt_text = models.CharField(max_length=200, blank=True)
    is_primary = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-is_primary", "position", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"],
                condition=models.Q(is_primary=True),
                name="catalog_productimage_one_primary",
            ),
        ]

    def __str__(self):
        return f"Image of {self.product_id}"


class SearchTerm(models.Model):
    """A word of a product, brand or category name, as PostgreSQL's `simple` parser cuts
    it: what a misspelt search word is corrected to (catalog.search). Written with the
    names by the catalog services and rebuilt by `manage.py reindex_products`; a word no
    name uses any more only costs a correction that finds nothing."""

    term = models.CharField(max_length=100, primary_key=True)

    class Meta:
        indexes = [GinIndex(fields=["term"], opclasses=["gin_trgm_ops"], name="catalog_term_trgm")]

    def __str__(self):
        return self.term
