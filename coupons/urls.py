"""Coupons routes (staff).
Mounted under /api/v1/ by config/api_router.py."""

from core.routers import ApiRouter
from coupons import views

router = ApiRouter()
router.register("coupons", views.CouponViewSet, basename="coupon")

urlpatterns = router.urls
