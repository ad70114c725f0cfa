"""Stores routes: the directory and storefronts, the owner's own store, staff review.
Mounted under /api/v1/ by config/api_router.py."""

from django.urls import path

from core.routers import ApiRouter
from stores import views

router = ApiRouter()
router.register("stores", views.StoreViewSet, basename="store")

urlpatterns = [
    # Before the router, whose storefront route stores/{ref}/ would take it.
    path("stores/me/", views.MyStoreView.as_view(), name="store-me"),
    *router.urls,
]
