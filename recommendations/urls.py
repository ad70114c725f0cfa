"""Recommendations routes: for a product, and for the caller.
Mounted under /api/v1/ by config/api_router.py."""

from django.urls import path

from recommendations import views

urlpatterns = [
    path(
        "products/<uuid:pk>/recommendations/",
        views.ProductRecommendationsView.as_view(),
        name="product-recommendations",
    ),
    path(
        "users/me/recommendations/",
        views.UserRecommendationsView.as_view(),
        name="user-recommendations",
    ),
]
