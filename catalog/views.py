"""Catalog endpoints: parse -> authorize -> call a service -> serialize.

Public reads (products, categories, brands) are answered from the cache for anonymous
callers (core.cache, catalog.cache), with an ETag and a short public Cache-Control."""

import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import filters, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from catalog import services
from catalog.cache import PRODUCT_LISTS, read_scopes
from catalog.facets import product_facets
from catalog.filters import CategoryFilter, ProductFilter
from catalog.listing import product_listing
from catalog.models import ProductImage
from catalog.permissions import (
    IsProductOwnerOrStaff,
    IsSellerOrStaffOrReadOnly,
)
from catalog.selectors import (
    brand_list,
    category_list,
    product_list_for,
    product_rows,
    product_suggestions,
)
from catalog.serializers import (
    BrandInput,
    BrandSerializer,
    CategoryInput,
    CategorySerializer,
    ProductDiscountInput,
    ProductFacetsSerializer,
    ProductImageSerializer,
    ProductImageUploadInput,
    ProductInput,
    ProductRepresenter,
    ProductSerializer,
    ProductSuggestInput,
    ProductSuggestionsSerializer,
)
from core.cache import serve_public_read
from core.filters import OrderingFilter
from core.mixins import ServiceWriteMixin
from core.pagination import LargeListPagination, cached_estimated_count
from core.parsers import JSONParser
from core.permissions import IsStaffOrReadOnly
from core.routing import UUID_REGEX
from core.serializers import ErrorSerializer

_CONFLICT = OpenApiResponse(ErrorSerializer, description="Still in use (`conflict`).")


class _PublicCacheMixin:
    """Serve the actions named in `cached_reads` through core.cache.serve_public_read. It
    runs before DRF's request handling, so a cached answer costs no authentication,
    throttling or rendering (the throttles guard the database work a miss does)."""

    cached_reads: dict[str, str] = {}

    def dispatch(self, request, *args, **kwargs):
        action = getattr(self, "action_map", {}).get(request.method.lower())
        name = self.cached_reads.get(action)
        if name is None:
            return super().dispatch(request, *args, **kwargs)
        product_id = None
        if name == "product-detail":
            # The version key of a product is its canonical id, however the URL spells it.
            product_id = uuid.UUID(kwargs["pk"])
        return serve_public_read(
            request,
            name=name,
            scopes=read_scopes(name, product_id=product_id),
            build=lambda: super(_PublicCacheMixin, self).dispatch(request, *args, **kwargs),
        )


def _crud_schema(
    plural: str,
    singular: str,
    input_serializer,
    output_serializer,
    *,
    writers: str = "staff",
    delete_summary: str | None = None,
    create_examples=(),
    conflict_on_delete=True,
):
    delete_responses = {204: None}
    if conflict_on_delete:
        delete_responses[409] = _CONFLICT
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}"),
        retrieve=extend_schema(summary=f"One {singular}"),
        create=extend_schema(
            summary=f"Create a {singular} ({writers})",
            request=input_serializer,
            responses={201: output_serializer},
            examples=list(create_examples),
        ),
        update=extend_schema(
            summary=f"Replace a {singular} ({writers})",
            request=input_serializer,
            responses=output_serializer,
        ),
        partial_update=extend_schema(
            summary=f"Change some fields of a {singular} ({writers})",
            request=input_serializer,
            responses=output_serializer,
        ),
        destroy=extend_schema(
            summary=delete_summary or f"Delete a {singular} ({writers})",
            responses=delete_responses,
        ),
    )


# JSON everywhere; images also as a multipart upload (the image field of the same body).
_JSON_OR_UPLOAD = [JSONParser, MultiPartParser]


@_crud_schema("categories", "category", CategoryInput, CategorySerializer)
class CategoryViewSet(_PublicCacheMixin, ServiceWriteMixin, viewsets.ModelViewSet):
    """The category tree: public read, staff write. Deleting a category that still has
    products or subcategories is a 409."""

    cached_reads = {"list": "category", "retrieve": "category"}

    permission_classes = [IsStaffOrReadOnly]
    parser_classes = _JSON_OR_UPLOAD
    input_serializer_class = CategoryInput
    output_serializer_class = CategorySerializer
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, OrderingFilter]
    filterset_class = CategoryFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return category_list()

    def perform_create_service(self, data):
        return services.category_create(**data)

    def perform_update_service(self, instance, data):
        return services.category_update(category=instance, data=data)

    def perform_destroy_service(self, instance):
        services.category_delete(category=instance)


@_crud_schema("brands", "brand", BrandInput, BrandSerializer)
class BrandViewSet(_PublicCacheMixin, ServiceWriteMixin, viewsets.ModelViewSet):
    """Brands: public read, staff write. Deleting a brand that has products is a 409."""

    cached_reads = {"list": "brand", "retrieve": "brand"}

    permission_classes = [IsStaffOrReadOnly]
    parser_classes = _JSON_OR_UPLOAD
    input_serializer_class = BrandInput
    output_serializer_class = BrandSerializer
    filter_backends = [filters.SearchFilter, OrderingFilter]
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return brand_list()

    def perform_create_service(self, data):
        return services.brand_create(**data)

    def perform_update_service(self, instance, data):
        return services.brand_update(brand=instance, data=data)

    def perform_destroy_service(self, instance):
        services.brand_delete(brand=instance)


_IMAGE_ID = OpenApiParameter(
    "image_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The image's id."
)


@_crud_schema(
    "products",
    "product",
    ProductInput,
    ProductSerializer,
    writers="its seller or staff",
    delete_summary="Delete a product (its seller or staff; a soft delete)",
    create_examples=[
        OpenApiExample(
            "A serum",
            request_only=True,
            value={
                "name": "Hydrating Serum",
                "description": "Hyaluronic acid and niacinamide, fragrance free.",
                "price": "24.90",
                "currency": "EUR",
                "stock_quantity": 120,
                "category": "3e7b9c1d-5a2f-4d8e-b6c0-1f9a8e7d6c5b",
                "brand": "8a1d2c3b-4e5f-4a6b-9c8d-7e6f5a4b3c2d",
            },
        )
    ],
    conflict_on_delete=False,
)
class ProductViewSet(_PublicCacheMixin, ServiceWriteMixin, viewsets.ModelViewSet):
    """Products. Everyone sees active products; sellers also their own inactive ones; staff
    all. Sellers create and change their own products, staff any. DELETE is a soft delete."""

    permission_classes = [IsSellerOrStaffOrReadOnly, IsProductOwnerOrStaff]
    input_serializer_class = ProductInput
    output_serializer_class = ProductSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ProductFilter
    # `price` is the stored effective price (discounts included), which an index serves;
    # ties fall back to newest first, then id (the price indexes end with those columns).
    ordering_fields = {
        "price": "current_price",
        "name": "name",
        "created_at": "created_at",
        "rating": "average_rating",
        "average_rating": "average_rating",
    }
    ordering_tiebreak = ("-created_at", "id")
    pagination_class = LargeListPagination
    cached_reads = {
        "list": "product-list",
        "retrieve": "product-detail",
        "facets": "product-facets",
        "suggest": "product-suggest",
    }

    def get_queryset(self):
        return product_list_for(user=self.request.user)

    def _filtered(self) -> ProductFilter:
        backend = DjangoFilterBackend()
        filterset = backend.get_filterset(self.request, self.get_queryset(), self)
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        return filterset

    def _ordering_terms(self, queryset) -> list[str]:
        """The `?ordering=` names asked for, refused with a 400 when unknown (the listing
        maps them to its columns itself)."""
        ordering = OrderingFilter()
        terms = ordering.requested_terms(self.request)
        if terms:
            ordering.get_ordering(self.request, queryset, self)
        return terms

    def list(self, request, *args, **kwargs):
        filterset = self._filtered()
        listing = product_listing(
            queryset=filterset.qs,
            ordering=self._ordering_terms(filterset.qs),
            search=filterset.product_search,
        )
        rows = self.paginator.paginate_listing(listing, request)
        data = ProductRepresenter(request=request).products(rows)
        return self.paginator.get_paginated_response(data, rows)

    def retrieve(self, request, *args, **kwargs):
        rows = list(product_rows(self.get_queryset().filter(pk=kwargs["pk"]).order_by())[:1])
        if not rows:
            raise Http404
        return Response(ProductRepresenter(request=request).products(rows)[0])

    @extend_schema(
        summary="Counts per category, brand, price band and stock state",
        description=(
            "Takes every filter of the product list (and ignores its ordering and pages). "
            "A category counts its subcategories' products too. Price bands are [min, max] "
            "on the effective price, usable as the list's min_price/max_price. Exact while "
            "the list's count is; above EXACT_COUNT_LIMIT matches they are estimated from a "
            "sample (`counts_are_estimates`)."
        ),
        filters=True,
        responses={200: ProductFacetsSerializer},
    )
    @action(detail=False, methods=["get"], url_path="facets", pagination_class=None)
    def facets(self, request):
        queryset = self._filtered().qs
        count, is_estimate = cached_estimated_count(queryset, scopes=[PRODUCT_LISTS])
        facets = product_facets(queryset=queryset, estimate=is_estimate)
        return Response({"count": count, "count_is_estimate": is_estimate, **facets})

    @extend_schema(
        summary="Up to 10 completions of what is being typed in a search box",
        parameters=[ProductSuggestInput],
        responses={200: ProductSuggestionsSerializer},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="suggest",
        filter_backends=[],
        pagination_class=None,
    )
    def suggest(self, request):
        serializer = ProductSuggestInput(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        results = product_suggestions(prefix=serializer.validated_data["q"], limit=10)
        return Response({"results": results})

    def perform_create_service(self, data):
        store = services.product_store_for(user=self.request.user, store=data.pop("store", None))
        return services.product_create(created_by=self.request.user, store=store, **data)

    def perform_update_service(self, instance, data):
        data.pop("store", None)  # chosen once, at creation
        return services.product_update(product=instance, data=data)

    def perform_destroy_service(self, instance):
        services.product_soft_delete(product=instance)

    @extend_schema(
        summary="Set the product's promotion: a percent discount, optionally scheduled",
        description=(
            "The seller of the product or staff. Replaces any discount the product had. "
            "List, detail, carts and checkout use the discounted price while it runs; "
            "orders already placed keep the price they were placed at."
        ),
        request=ProductDiscountInput,
        responses={200: ProductSerializer},
    )
    @action(detail=True, methods=["put"], url_path="discount", filter_backends=[])
    def discount(self, request, pk=None):
        product = self.get_object()
        data = self.validated_input(ProductDiscountInput)
        product = services.product_set_discount(product=product, **data)
        return self.answer(product)

    @extend_schema(
        summary="Remove the product's promotion (running or scheduled)",
        request=None,
        responses={204: None},
    )
    @discount.mapping.delete
    def clear_discount(self, request, pk=None):
        services.product_clear_discount(product=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Upload a product image",
        request={"multipart/form-data": ProductImageUploadInput},
        responses={201: ProductImageSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="images",
        parser_classes=[MultiPartParser],
        filter_backends=[],
    )
    def images(self, request, pk=None):
        product = self.get_object()
        data = self.validated_input(ProductImageUploadInput)
        image = services.product_image_add(product=product, **data)
        return self.answer(image, status.HTTP_201_CREATED, serializer_class=ProductImageSerializer)

    @extend_schema(summary="Delete a product image", parameters=[_IMAGE_ID], responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=rf"images/(?P<image_id>{UUID_REGEX})",
        filter_backends=[],
    )
    def delete_image(self, request, pk=None, image_id=None):
        product = self.get_object()
        image = get_object_or_404(
            ProductImage.objects.select_related("product"), pk=image_id, product=product
        )
        services.product_image_delete(product_image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)
