"""Cart endpoints, for guests and users alike: parse -> find the caller's cart -> call a
service -> serialize. A guest's cart is known by the token of the `X-Cart-Token` header;
an authenticated caller who sends one gets that guest cart merged into theirs."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from cart import services
from cart.exceptions import CartItemNotFound
from cart.selectors import cart_summary
from cart.serializers import (
    CartCouponInput,
    CartItemAddInput,
    CartItemQuantityInput,
    CartSerializer,
)
from core.mixins import ServiceViewMixin
from core.net import client_ip
from core.serializers import ErrorSerializer
from coupons.serializers import CouponErrorSerializer

CART_TOKEN_HEADER = "X-Cart-Token"

CART_TOKEN_PARAMETER = OpenApiParameter(
    CART_TOKEN_HEADER,
    str,
    OpenApiParameter.HEADER,
    description=(
        "A guest cart's token, as returned by an earlier answer. Sent with an access token, "
        "it merges that guest cart into the user's cart (the guest cart is then gone)."
    ),
)
_TOKEN_RESPONSE = OpenApiParameter(
    CART_TOKEN_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="The guest cart's token (guests only): send it back in `X-Cart-Token`.",
    response=[200],
)
_CART = OpenApiResponse(CartSerializer, description="The caller's cart, after the change.")
_BAD_ACCESS = OpenApiResponse(
    ErrorSerializer, description="An access token was sent and is invalid or expired."
)
_CONFLICT = OpenApiResponse(
    ErrorSerializer, description="The cart was merged or purged meanwhile (`conflict`); retry."
)


def cart_token_from(request) -> str | None:
    return request.headers.get(CART_TOKEN_HEADER) or None


def _cart(request, *, create: bool):
    return services.cart_for_request(
        user=request.user, token=cart_token_from(request), create=create
    )


class _CartAPIView(ServiceViewMixin, GenericAPIView):
    # Guests and users alike; a sent access token is still checked (a bad one is a 401).
    permission_classes = [AllowAny]
    serializer_class = CartSerializer
    filter_backends = []
    pagination_class = None

    def cart_response(self, cart) -> Response:
        summary = cart_summary(cart=cart)
        response = Response(self.get_serializer(summary).data)
        if summary.token:
            response[CART_TOKEN_HEADER] = summary.token
        return response


class CartView(_CartAPIView):
    @extend_schema(
        operation_id="cart_retrieve",
        summary="The caller's cart",
        description="A guest without a (valid) token gets an empty cart; nothing is created.",
        parameters=[CART_TOKEN_PARAMETER, _TOKEN_RESPONSE],
        responses={200: _CART, 401: _BAD_ACCESS},
    )
    def get(self, request):
        return self.cart_response(_cart(request, create=False))

    @extend_schema(
        operation_id="cart_add_item",
        summary="Add a product to the cart, or increase its line",
        examples=[
            OpenApiExample(
                "Two of a product",
                request_only=True,
                value={"product_id": "0b6c8a7e-3f1d-4c55-9a8e-2d4f6b1c9e01", "quantity": 2},
            ),
        ],
        description=(
            "A guest without a valid token gets a new cart: its token comes back in the "
            "`X-Cart-Token` header and in `token`."
        ),
        parameters=[CART_TOKEN_PARAMETER, _TOKEN_RESPONSE],
        request=CartItemAddInput,
        responses={200: _CART, 401: _BAD_ACCESS, 409: _CONFLICT},
    )
    def post(self, request):
        data = self.validated_input(CartItemAddInput)
        cart = services.cart_add_item_for_request(
            user=request.user, token=cart_token_from(request), **data
        )
        return self.cart_response(cart)

    @extend_schema(
        operation_id="cart_clear",
        summary="Empty the cart",
        parameters=[CART_TOKEN_PARAMETER],
        responses={204: None, 401: _BAD_ACCESS, 409: _CONFLICT},
    )
    def delete(self, request):
        cart = _cart(request, create=False)
        if cart is not None:
            services.cart_clear(cart=cart)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CouponThrottle(SimpleRateThrottle):
    """Codes tried on a cart (THROTTLE_COUPON), per user, or per client address for guests
    (a guest can make new cart tokens at will, so never per token)."""

    scope = "coupon"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        user = request.user
        ident = f"user-{user.pk}" if user and user.is_authenticated else client_ip(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class CartCouponView(_CartAPIView):
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, CouponThrottle]

    @extend_schema(
        operation_id="cart_coupon_apply",
        summary="Apply a coupon to the cart",
        description=(
            "The code is matched in any case. The coupon is checked against the cart as it "
            "is now (a cart has one coupon; a new one replaces it) and checked again at "
            "checkout, where its use is counted. Every code that cannot be used on this "
            "cart (unknown, inactive, expired, used up, below its minimum...) gets the same "
            "answer, so the endpoint does not tell which codes exist; tries are throttled "
            "per user or address."
        ),
        parameters=[CART_TOKEN_PARAMETER, _TOKEN_RESPONSE],
        request=CartCouponInput,
        responses={
            200: _CART,
            400: OpenApiResponse(
                CouponErrorSerializer,
                description="`validation_error` on `code`: the cart is empty, or the code "
                "cannot be used on it (`reason`: `not_applicable`, whatever the cause).",
            ),
            401: _BAD_ACCESS,
            409: _CONFLICT,
        },
    )
    def post(self, request):
        cart = services.cart_coupon_apply_for_request(
            user=request.user,
            token=cart_token_from(request),
            code=self.validated_input(CartCouponInput)["code"],
        )
        return self.cart_response(cart)

    @extend_schema(
        operation_id="cart_coupon_remove",
        summary="Take the coupon off the cart",
        description="Answers the cart without its coupon (also when it had none).",
        parameters=[CART_TOKEN_PARAMETER, _TOKEN_RESPONSE],
        responses={200: _CART, 401: _BAD_ACCESS, 409: _CONFLICT},
    )
    def delete(self, request):
        cart = _cart(request, create=False)
        if cart is not None:
            cart = services.cart_coupon_remove(cart=cart)
        return self.cart_response(cart)


class CartItemView(_CartAPIView):
    # PUT and PATCH both set the quantity, which is required.
    partial_patch = False

    def _set_quantity(self, request, item_id):
        quantity = self.validated_input(CartItemQuantityInput)["quantity"]
        cart = _cart(request, create=False)
        if cart is None:
            raise CartItemNotFound()
        services.cart_item_set_quantity(cart=cart, item_id=item_id, quantity=quantity)
        return self.cart_response(cart)

    @extend_schema(
        operation_id="cart_item_update",
        summary="Change a line's quantity",
        parameters=[CART_TOKEN_PARAMETER, _TOKEN_RESPONSE],
        request=CartItemQuantityInput,
        responses={200: _CART, 401: _BAD_ACCESS, 409: _CONFLICT},
    )
    def put(self, request, item_id):
        return self._set_quantity(request, item_id)

    @extend_schema(
        operation_id="cart_item_partial_update",
        summary="Change a line's quantity",
        parameters=[CART_TOKEN_PARAMETER, _TOKEN_RESPONSE],
        request=CartItemQuantityInput,
        responses={200: _CART, 401: _BAD_ACCESS, 409: _CONFLICT},
    )
    def patch(self, request, item_id):
        return self._set_quantity(request, item_id)

    @extend_schema(
        operation_id="cart_item_remove",
        summary="Remove a line from the cart",
        parameters=[CART_TOKEN_PARAMETER],
        responses={204: None, 401: _BAD_ACCESS, 409: _CONFLICT},
    )
    def delete(self, request, item_id):
        cart = _cart(request, create=False)
        if cart is None:
            raise CartItemNotFound()
        services.cart_item_remove(cart=cart, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
