"""Catalog routes: categories, brands, products.
Mounted under /api/v1/ by config/api_router.py."""

from catalog import views
from core.routers import ApiRouter

router = ApiRouter()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("brands", views.BrandViewSet, basename="brand")
router.register("products", views.ProductViewSet, basename="product")

urlpatterns = router.urls
