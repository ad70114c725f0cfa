"""Orders routes: checkout and the buyers' orders, the sellers' fulfilments.
Mounted under /api/v1/ by config/api_router.py."""

from checkout import views
from core.routers import ApiRouter

router = ApiRouter()
router.register("orders", views.OrderViewSet, basename="order")
router.register("seller/fulfilments", views.SellerFulfilmentViewSet, basename="seller-fulfilment")

urlpatterns = router.urls
