"""Webhooks routes (staff).
Mounted under /api/v1/ by config/api_router.py."""

from core.routers import ApiRouter
from webhooks import views

router = ApiRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = router.urls
