"""Shapes of the catalog API: output serializers, and input serializers that check fields
only. Writes happen in catalog.services."""

from datetime import datetime
from decimal import Decimal

from django.core.files.storage import default_storage
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from catalog.models import Brand, Category, Product, ProductImage, SkinConcern, SkinType
from catalog.selectors import product_images_by_product, product_name_taken
from catalog.services import PRODUCT_NAME_TAKEN
from core.money import quantize_money
from core.validators import validate_image_upload
from stores.models import Store
from stores.serializers import StoreSummarySerializer

MONEY = {"max_digits": 12, "decimal_places": 2}
MAX_STOCK = 2_147_483_647  # PositiveIntegerField's ceiling on every database


def _uuid_pk(queryset, **kwargs):
    # pk_field makes a malformed id a field error ("Must be a valid UUID.") instead of a
    # database error.
    return serializers.PrimaryKeyRelatedField(
        queryset=queryset, pk_field=serializers.UUIDField(format="hex_verbose"), **kwargs
    )


def _image_field(**kwargs):
    return serializers.FileField(
        required=False,
        allow_null=True,
        validators=[validate_image_upload],
        help_text="A JPEG, PNG, WebP or GIF image (multipart upload); null removes it.",
        **kwargs,
    )


# --- categories -------------------------------------------------------------------------


class CategorySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.UUIDField(source="parent_id", read_only=True, allow_null=True)
    children = CategorySummarySerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = [
            "id",
            "name",
            "slug",
            "parent",
            "children",
            "description",
            "image",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CategoryInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(
        max_length=140,
        required=False,
        allow_blank=True,
        validators=[UniqueValidator(queryset=Category.objects.all())],
        help_text="Made from the name when left out.",
    )
    parent = _uuid_pk(
        Category.objects.all(), required=False, allow_null=True, help_text="Parent category id."
    )
    description = serializers.CharField(required=False, allow_blank=True)
    image = _image_field()


# --- brands -----------------------------------------------------------------------------


class BrandSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "slug", "description", "logo", "created_at", "updated_at"]
        read_only_fields = fields


class BrandInput(serializers.Serializer):
    name = serializers.CharField(
        max_length=120,
        validators=[
            UniqueValidator(
                queryset=Brand.objects.all(),
                lookup="iexact",
                message="A brand with this name already exists.",
            )
        ],
    )
    slug = serializers.SlugField(
        max_length=140,
        required=False,
        allow_blank=True,
        validators=[UniqueValidator(queryset=Brand.objects.all())],
        help_text="Made from the name when left out.",
    )
    description = serializers.CharField(required=False, allow_blank=True)
    logo = _image_field()


# --- products ---------------------------------------------------------------------------

MAX_INGREDIENTS = 100
INGREDIENT_MAX_LENGTH = 60


def skin_types_field(**kwargs):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=SkinType.choices),
        max_length=len(SkinType.choices),
        **kwargs,
    )


def concerns_field(**kwargs):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=SkinConcern.choices),
        max_length=len(SkinConcern.choices),
        **kwargs,
    )


def ingredients_field(**kwargs):
    return serializers.ListField(
        child=serializers.CharField(max_length=INGREDIENT_MAX_LENGTH),
        max_length=MAX_INGREDIENTS,
        **kwargs,
    )


@extend_schema_field(serializers.URLField(allow_null=True))
class PrimaryImageUrlField(serializers.Field):
    """Absolute URL of a product's primary image, or null. Reads the product's images as
    prefetched primary first (catalog.selectors.product_images_prefetch), so a list of
    products costs no query per row."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("help_text", "URL of the primary image, if any.")
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, product):
        images = list(product.images.all())
        if not images:
            return None
        url = images[0].image.url
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ProductImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductImage
        fields = ["id", "image", "alt_text", "is_primary", "position", "created_at"]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    effective_price = serializers.DecimalField(
        **MONEY, read_only=True, help_text="The price now, less an active discount."
    )
    category = CategorySummarySerializer(read_only=True)
    brand = BrandSummarySerializer(read_only=True, allow_null=True)
    in_stock = serializers.BooleanField(read_only=True)
    images = ProductImageSerializer(many=True, read_only=True, help_text="Primary first.")
    store = StoreSummarySerializer(read_only=True, allow_null=True, help_text="Who sells it.")
    created_by = serializers.UUIDField(
        source="created_by_id", read_only=True, allow_null=True, help_text="The seller's id."
    )
    skin_types = skin_types_field(read_only=True, help_text="The skin types it suits.")
    concerns = concerns_field(read_only=True, help_text="The skin concerns it addresses.")
    ingredients = ingredients_field(read_only=True, help_text="Ingredient names, lower case.")

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "price",
            "currency",
            "discount_percent",
            "discount_starts_at",
            "discount_ends_at",
            "effective_price",
            "category",
            "brand",
            "stock_quantity",
            "in_stock",
            "is_active",
            "images",
            "average_rating",
            "review_count",
            "store",
            "skin_types",
            "concerns",
            "ingredients",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProductInput(serializers.Serializer):
    """What a seller may set. created_by, slug, ratings and deletion are server-side."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    price = serializers.DecimalField(
        **MONEY,
        min_value=Decimal("0.01"),
        error_messages={"min_value": "The price must be greater than zero."},
        help_text="Greater than 0, at most 2 decimals.",
    )
    currency = serializers.RegexField(
        r"^[A-Z]{3}\Z",
        required=False,
        error_messages={"invalid": "Use a 3-letter ISO 4217 code in capitals, e.g. USD."},
        help_text="ISO 4217 code; the store's default currency when left out.",
    )
    discount_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("99.99"),
        required=False,
        allow_null=True,
        help_text="Percent off, below 100; 0 or null for none (ends a running promotion and "
        "clears its window).",
    )
    discount_starts_at = serializers.DateTimeField(required=False, allow_null=True)
    discount_ends_at = serializers.DateTimeField(required=False, allow_null=True)
    category = _uuid_pk(Category.objects.all(), help_text="Category id.")
    brand = _uuid_pk(Brand.objects.all(), required=False, allow_null=True, help_text="Brand id.")
    stock_quantity = serializers.IntegerField(min_value=0, max_value=MAX_STOCK, required=False)
    is_active = serializers.BooleanField(required=False)
    store = _uuid_pk(
        Store.objects.all(),
        required=False,
        help_text="Staff only, on creation: the store that sells it (a seller always lists "
        "in their own store).",
    )
    skin_types = skin_types_field(required=False, help_text="The skin types it suits.")
    concerns = concerns_field(required=False, help_text="The skin concerns it addresses.")
    ingredients = ingredients_field(
        required=False,
        help_text=f"Ingredient names (at most {MAX_INGREDIENTS}, each at most "
        f"{INGREDIENT_MAX_LENGTH} characters); stored lower case, unique, sorted.",
    )

    def validate_name(self, value: str) -> str:
        exclude_id = self.instance.pk if self.instance is not None else None
        if product_name_taken(name=value, exclude_id=exclude_id):
            raise serializers.ValidationError(PRODUCT_NAME_TAKEN)
        return value

    def validate(self, attrs: dict) -> dict:
        def current(field):
            if field in attrs:
                return attrs[field]
            return getattr(self.instance, field, None)

        starts, ends = current("discount_starts_at"), current("discount_ends_at")
        if starts and ends and ends <= starts:
            raise serializers.ValidationError(
                {"discount_ends_at": ["The discount must end after it starts."]}
            )
        return attrs


class ProductDiscountInput(serializers.Serializer):
    discount_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("99.99"),
        error_messages={
            "min_value": "The discount must be between 0 and 100 percent.",
            "max_value": "The discount must be between 0 and 100 percent.",
        },
        help_text="Percent off the price, strictly between 0 and 100, at most 2 decimals.",
    )
    starts_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Start (null: at once)."
    )
    ends_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="End, exclusive (null: until removed); after starts_at and in the future.",
    )


class ProductImageUploadInput(serializers.Serializer):
    image = serializers.FileField(
        validators=[validate_image_upload], help_text="A JPEG, PNG, WebP or GIF image."
    )
    alt_text = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Make this the primary image (the first image always is).",
    )


# --- lean product representation ----------------------------------------------------------


class ProductRepresenter:
    """ProductSerializer's output, built from .values() rows (catalog.selectors.
    PRODUCT_ROW_FIELDS) instead of model instances: the same JSON, at a fraction of the
    cost per row. What is the same for every row (now, the media URL's scheme and host) is
    worked out once. catalog.tests checks both give the same answer."""

    def __init__(self, *, request):
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        self.request = request
        self._origin = None

    def _datetime(self, value: datetime | None) -> str | None:
        # As DRF's DateTimeField: ISO 8601 in the current time zone, UTC as "Z".
        if value is None:
            return None
        text = value.astimezone(self.zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def _image_url(self, name: str) -> str:
        url = default_storage.url(name)
        if self.request is None or "://" in url:
            return url
        if self._origin is None:
            self._origin = self.request.build_absolute_uri("/").rstrip("/")
        return self._origin + url if url.startswith("/") else self.request.build_absolute_uri(url)

    def _effective_price(self, row) -> Decimal:
        percent = row["discount_percent"]
        if not percent:
            return row["price"]
        starts, ends = row["discount_starts_at"], row["discount_ends_at"]
        if (starts and self.now < starts) or (ends and self.now >= ends):
            return row["price"]
        return quantize_money(row["price"] * (Decimal(100) - percent) / Decimal(100))

    def image(self, image: dict) -> dict:
        return {
            "id": str(image["id"]),
            "image": self._image_url(image["image"]) if image["image"] else None,
            "alt_text": image["alt_text"],
            "is_primary": image["is_primary"],
            "position": image["position"],
            "created_at": self._datetime(image["created_at"]),
        }

    def product(self, row: dict, images: list[dict]) -> dict:
        brand = None
        if row["brand_id"] is not None:
            brand = {
                "id": str(row["brand_id"]),
                "name": row["brand__name"],
                "slug": row["brand__slug"],
            }
        created_by = row["created_by_id"]
        store = None
        if row["store_id"] is not None:
            store = {
                "id": str(row["store_id"]),
                "slug": row["store__slug"],
                "name": row["store__name"],
            }
        return {
            "id": str(row["id"]),
            "name": row["name"],
            "slug": row["slug"],
            "description": row["description"],
            "price": _money(row["price"]),
            "currency": row["currency"],
            "discount_percent": _money(row["discount_percent"]),
            "discount_starts_at": self._datetime(row["discount_starts_at"]),
            "discount_ends_at": self._datetime(row["discount_ends_at"]),
            "effective_price": _money(self._effective_price(row)),
            "category": {
                "id": str(row["category_id"]),
                "name": row["category__name"],
                "slug": row["category__slug"],
            },
            "brand": brand,
            "stock_quantity": row["stock_quantity"],
            "in_stock": row["stock_quantity"] > 0,
            "is_active": row["is_active"],
            "images": [self.image(image) for image in images],
            "average_rating": _money(row["average_rating"]),
            "review_count": row["review_count"],
            "store": store,
            "skin_types": list(row["skin_types"] or []),
            "concerns": list(row["concerns"] or []),
            "ingredients": list(row["ingredients"] or []),
            "created_by": str(created_by) if created_by is not None else None,
            "created_at": self._datetime(row["created_at"]),
            "updated_at": self._datetime(row["updated_at"]),
        }

    def products(self, rows: list[dict]) -> list[dict]:
        if rows and "image_rows" in rows[0]:
            # product_rows brought them along (PostgreSQL), their dates as text.
            return [self.product(row, _images_parsed(row["image_rows"])) for row in rows]
        images = product_images_by_product(product_ids=[row["id"] for row in rows])
        return [self.product(row, images.get(row["id"], [])) for row in rows]


def _images_parsed(images: list[dict]) -> list[dict]:
    for image in images:
        image["created_at"] = datetime.fromisoformat(image["created_at"])
    return images


def _money(value: Decimal | None) -> str | None:
    # Two places, as DRF's DecimalField(decimal_places=2) renders them.
    return None if value is None else f"{quantize_money(value):f}"


# --- facets and suggestions (shapes for the schema; the answers are built as dicts) ----------


class _FacetCategorySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    parent = serializers.UUIDField(allow_null=True)
    count = serializers.IntegerField(help_text="Its own products and its subcategories'.")


class _FacetBrandSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    count = serializers.IntegerField()


class _FacetPriceBandSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="e.g. `10-25`: from 10.00 up to (not including) 25.")
    min_price = serializers.DecimalField(**MONEY)
    max_price = serializers.DecimalField(**MONEY, allow_null=True, help_text="Inclusive.")
    count = serializers.IntegerField()


class _FacetInStockSerializer(serializers.Serializer):
    value = serializers.BooleanField()
    count = serializers.IntegerField()


class _FacetSkinTypeSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=SkinType.choices)
    count = serializers.IntegerField()


class _FacetConcernSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=SkinConcern.choices)
    count = serializers.IntegerField()


class ProductFacetsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Products matching, as the list's `count`.")
    count_is_estimate = serializers.BooleanField()
    counts_are_estimates = serializers.BooleanField(
        help_text="True when the counts below are estimated from a sample."
    )
    categories = _FacetCategorySerializer(many=True)
    brands = _FacetBrandSerializer(many=True)
    stores = _FacetBrandSerializer(many=True)
    price_bands = _FacetPriceBandSerializer(many=True)
    in_stock = _FacetInStockSerializer(many=True)
    skin_types = _FacetSkinTypeSerializer(
        many=True, help_text="Products suited to each skin type (a product counts in several)."
    )
    concerns = _FacetConcernSerializer(
        many=True, help_text="Products addressing each concern (a product counts in several)."
    )


class ProductSuggestInput(serializers.Serializer):
    q = serializers.CharField(max_length=100, help_text="What has been typed so far.")


class _SuggestionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["category", "brand", "store", "product"], help_text="What it names."
    )
    text = serializers.CharField(help_text="The completed name.")
    id = serializers.UUIDField()
    slug = serializers.SlugField()


class ProductSuggestionsSerializer(serializers.Serializer):
    results = _SuggestionSerializer(many=True)
