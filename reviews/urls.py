"""Reviews routes.
Mounted under /api/v1/ by config/api_router.py."""

from core.routers import ApiRouter
from reviews import views

router = ApiRouter()
router.register("reviews", views.ReviewViewSet, basename="review")

urlpatterns = router.urls
