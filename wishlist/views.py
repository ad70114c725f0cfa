"""Wishlist endpoints: the caller's own list (add, remove, move to the cart), its share
link, and the public read-only view of a shared list. Parse -> call a service ->
serialize; the rules live in wishlist/services.py."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from cart.selectors import cart_summary
from cart.serializers import CartSerializer
from cart.views import CART_TOKEN_PARAMETER, cart_token_from
from core.filters import OrderingFilter
from core.mixins import ServiceViewMixin
from core.serializers import ErrorSerializer
from wishlist import services
from wishlist.exceptions import SharedWishlistNotFound
from wishlist.models import WishlistItem
from wishlist.selectors import (
    wishlist_get_for,
    wishlist_item_list_for,
    wishlist_shared_get,
    wishlist_shared_item_list,
)
from wishlist.serializers import (
    WishlistAddInput,
    WishlistItemSerializer,
    WishlistMoveToCartInput,
    WishlistShareSerializer,
)


class _WishlistAPIView(ServiceViewMixin, GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = WishlistItemSerializer
    filter_backends = [OrderingFilter]
    ordering_fields = {"added_at": "created_at"}
    ordering_tiebreak = ("-created_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WishlistItem.objects.none()
        return wishlist_item_list_for(user=self.request.user)


class WishlistView(mixins.ListModelMixin, _WishlistAPIView):
    @extend_schema(
        operation_id="wishlist_list",
        summary="The caller's wishlist, newest first, with current prices and stock",
        description="Products no longer sold stay listed with `is_active` false.",
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        operation_id="wishlist_add_item",
        summary="Put a product on the wishlist (idempotent)",
        description="201 with the new item; 200 with the existing item when the product "
        "is already on the list.",
        request=WishlistAddInput,
        responses={
            201: WishlistItemSerializer,
            200: OpenApiResponse(WishlistItemSerializer, description="Already on the list."),
        },
    )
    def post(self, request):
        data = self.validated_input(WishlistAddInput)
        item, created = services.wishlist_add_item(user=request.user, **data)
        item = self.get_queryset().get(pk=item.pk)
        return self.answer(item, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class WishlistItemView(_WishlistAPIView):
    @extend_schema(
        operation_id="wishlist_item_remove",
        summary="Take an item off the wishlist",
        responses={204: None},
    )
    def delete(self, request, item_id):
        services.wishlist_item_remove(user=request.user, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WishlistMoveToCartView(_WishlistAPIView):
    serializer_class = CartSerializer

    @extend_schema(
        operation_id="wishlist_item_move_to_cart",
        summary="Move an item to the cart",
        description="Adds the product to the caller's cart (same stock and availability "
        "rules as `POST cart/`) and takes it off the wishlist, both or neither. Answers "
        "the cart.",
        parameters=[CART_TOKEN_PARAMETER],
        request=WishlistMoveToCartInput,
        responses={
            200: OpenApiResponse(CartSerializer, description="The caller's cart, after it."),
            409: OpenApiResponse(
                ErrorSerializer,
                description="The cart was merged or purged meanwhile (`conflict`); retry.",
            ),
        },
    )
    def post(self, request, item_id):
        cart = services.wishlist_item_move_to_cart(
            user=request.user,
            item_id=item_id,
            cart_token=cart_token_from(request),
            **self.validated_input(WishlistMoveToCartInput),
        )
        return self.answer(cart_summary(cart=cart))


class WishlistShareView(_WishlistAPIView):
    serializer_class = WishlistShareSerializer

    @extend_schema(
        operation_id="wishlist_share",
        summary="Share the wishlist through a public read-only link",
        description="201 with a new token; 200 with the current one when already shared. "
        "Anyone with the link sees the list's items (never who owns it).",
        request=None,
        responses={
            201: WishlistShareSerializer,
            200: OpenApiResponse(WishlistShareSerializer, description="Already shared."),
        },
    )
    def post(self, request):
        wishlist, created = services.wishlist_share(user=request.user)
        token = wishlist.share_token
        url = request.build_absolute_uri(reverse("api:wishlist-shared", args=[token]))
        return self.answer(
            {"token": token, "url": url},
            status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        operation_id="wishlist_unshare",
        summary="Revoke the share link (the old link answers 404)",
        responses={204: None},
    )
    def delete(self, request):
        wishlist = wishlist_get_for(user=request.user)
        if wishlist is not None:
            services.wishlist_unshare(wishlist=wishlist)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SharedWishlistView(mixins.ListModelMixin, _WishlistAPIView):
    permission_classes = [AllowAny]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WishlistItem.objects.none()
        wishlist = wishlist_shared_get(token=self.kwargs["token"])
        if wishlist is None:
            raise SharedWishlistNotFound()
        return wishlist_shared_item_list(wishlist=wishlist)

    @extend_schema(
        operation_id="wishlist_shared_retrieve",
        summary="A shared wishlist, read-only (no credentials needed)",
        description="Items of products on sale only; nothing about the owner.",
    )
    def get(self, request, token):
        return self.list(request)
