from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Prefetch, QuerySet
from django.utils.html import format_html
from rest_framework import serializers

from catalog import services
from catalog.cache import catalog_products_changed, catalog_taxonomy_changed
from catalog.models import Brand, Category, Product, ProductImage
from core.money import quantize_money
from core.validators import validate_image_upload


def _checked_image_form(model_class, field_name: str) -> type[forms.ModelForm]:
    """A ModelForm that holds admin uploads to the same rules as the API's."""

    def clean_field(self):
        file = self.cleaned_data.get(field_name)
        if isinstance(file, UploadedFile):
            try:
                validate_image_upload(file)
            except serializers.ValidationError as exc:
                raise forms.ValidationError([str(message) for message in exc.detail]) from None
        return file

    meta = type("Meta", (), {"model": model_class, "fields": "__all__"})
    return type(
        f"{model_class.__name__}AdminForm",
        (forms.ModelForm,),
        {"Meta": meta, f"clean_{field_name}": clean_field},
    )


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = _checked_image_form(Category, "image")
    list_display = ["name", "slug", "parent", "created_at"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]

    # The admin saves the row itself; the services' follow-ups (search documents, cached
    # reads) come after, as they do in category_update.
    def save_model(self, request, obj, form, change):
        old_name = form.initial.get("name") if change else None
        super().save_model(request, obj, form, change)
        services.category_changed(category=obj, old_name=old_name)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalog_taxonomy_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalog_taxonomy_changed()


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    form = _checked_image_form(Brand, "logo")
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        old_name = form.initial.get("name") if change else None
        super().save_model(request, obj, form, change)
        services.brand_changed(brand=obj, old_name=old_name)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalog_taxonomy_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalog_taxonomy_changed()


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    form = _checked_image_form(ProductImage, "image")
    extra = 0
    fields = ["image", "alt_text", "is_primary", "position"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "name",
        "price",
        "effective_price_display",
        "stock_quantity",
        "is_active",
        "is_deleted",
        "store",
        "category",
        "brand",
        "created_at",
    ]
    # Stock and price are what staff correct most; each row saves through save_model.
    list_editable = ["price", "stock_quantity"]
    list_display_links = ["name"]
    list_filter = ["is_active", "is_deleted", "store", "category", "brand"]
    list_select_related = ["category", "brand", "store"]
    search_fields = ["name", "slug"]
    readonly_fields = [
        "current_price",
        "average_rating",
        "review_count",
        "deleted_at",
        "created_at",
        "updated_at",
    ]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["category", "brand", "store"]
    raw_id_fields = ["created_by"]
    inlines = [ProductImageInline]
    actions = ["activate", "deactivate", "soft_delete"]

    def save_model(self, request, obj, form, change):
        # The form may have changed the price or the discount; the stored effective price
        # follows, as it does in the services.
        obj.set_current_price()
        previous_store_id = form.initial.get("store") if change else None
        super().save_model(request, obj, form, change)
        # A product moved, hidden or shown changes the storefront figures of its stores.
        services.store_product_count_refresh(store_ids={previous_store_id, obj.store_id})
        services.product_changed(product=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The image inline may have changed what the product shows.
        catalog_products_changed(product_ids=[form.instance.pk])

    def delete_model(self, request, obj):
        product_id = obj.pk
        super().delete_model(request, obj)
        catalog_products_changed(product_ids=[product_id])

    def delete_queryset(self, request, queryset):
        product_ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        catalog_products_changed(product_ids=product_ids)

    def get_queryset(self, request):
        primary = ProductImage.objects.filter(is_primary=True).only("id", "product_id", "image")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("images", queryset=primary, to_attr="primary_images"))
        )

    def get_actions(self, request):
        # A product is soft-deleted (orders keep pointing at it); the hard bulk delete of
        # the default actions would bypass that.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="")
    def thumbnail(self, obj):
        images = getattr(obj, "primary_images", None) or []
        if not images:
            return ""
        return format_html(
            '<img src="{}" alt="" style="height:40px;width:40px;object-fit:cover">',
            images[0].image.url,
        )

    # Shows the exact price now; sorts by the stored one (indexed, see Product.current_price).
    @admin.display(description="effective price", ordering="current_price")
    def effective_price_display(self, obj):
        return quantize_money(obj.effective_price)

    @admin.action(description="Activate selected products")
    def activate(self, request, queryset: QuerySet[Product]):
        changed = services.product_set_active(products=queryset, is_active=True)
        self.message_user(request, f"{changed} product(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate selected products")
    def deactivate(self, request, queryset: QuerySet[Product]):
        changed = services.product_set_active(products=queryset, is_active=False)
        self.message_user(request, f"{changed} product(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Soft-delete selected products")
    def soft_delete(self, request, queryset: QuerySet[Product]):
        count = 0
        for product in queryset.filter(is_deleted=False):
            services.product_soft_delete(product=product)
            count += 1
        self.message_user(request, f"{count} product(s) soft-deleted.", messages.SUCCESS)


@admin.register(ProductImage)
class ProductImageAdmin(admin.ModelAdmin):
    form = _checked_image_form(ProductImage, "image")
    list_display = ["product", "is_primary", "position", "alt_text", "created_at"]
    list_filter = ["is_primary"]
    list_select_related = ["product"]
    search_fields = ["product__name", "alt_text"]
    autocomplete_fields = ["product"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        catalog_products_changed(product_ids=[obj.product_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalog_products_changed(product_ids=[obj.product_id])

    def delete_queryset(self, request, queryset):
        product_ids = list(queryset.values_list("product_id", flat=True))
        super().delete_queryset(request, queryset)
        catalog_products_changed(product_ids=product_ids)
