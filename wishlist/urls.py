"""Wishlist routes: the caller's wishlist and shared wishlists.
Mounted under /api/v1/ by config/api_router.py."""

from django.urls import path

from wishlist import views

urlpatterns = [
    path("wishlist/", views.WishlistView.as_view(), name="wishlist"),
    path("wishlist/share/", views.WishlistShareView.as_view(), name="wishlist-share"),
    path(
        "wishlist/shared/<str:token>/", views.SharedWishlistView.as_view(), name="wishlist-shared"
    ),
    path("wishlist/<uuid:item_id>/", views.WishlistItemView.as_view(), name="wishlist-item"),
    path(
        "wishlist/<uuid:item_id>/move-to-cart/",
        views.WishlistMoveToCartView.as_view(),
        name="wishlist-item-move-to-cart",
    ),
]
