"""Cart routes, for guests and users alike.
Mounted under /api/v1/ by config/api_router.py."""

from django.urls import path

from cart import views

urlpatterns = [
    path("cart/", views.CartView.as_view(), name="cart"),
    path("cart/coupon/", views.CartCouponView.as_view(), name="cart-coupon"),
    path("cart/<uuid:item_id>/", views.CartItemView.as_view(), name="cart-item"),
]
