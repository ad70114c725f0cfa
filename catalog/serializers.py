"""Shapes of the catalog API: output serializers, and input serializers that check fields
only. Writes happen in catalog.services."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from catalog.models import Brand, Category, Product, ProductImage
from catalog.selectors import product_name_taken
from catalog.services import PRODUCT_NAME_TAKEN
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
