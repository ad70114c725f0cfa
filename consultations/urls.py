"""Consultations routes: dermatologists' services, availability and dashboard; public
services and slots of a store; the customers' bookings. Mounted under /api/v1/ by
config/api_router.py."""

from django.urls import path

from consultations import views
from core.routers import ApiRouter

router = ApiRouter()
router.register(
    "consultation-services", views.ConsultationServiceViewSet, basename="consultation-service"
)
router.register("consultations", views.ConsultationViewSet, basename="consultation")
router.register(
    "seller/consultations", views.SellerConsultationViewSet, basename="seller-consultation"
)

urlpatterns = [
    path("stores/<str:ref>/services/", views.StoreServicesView.as_view(), name="store-services"),
    path("stores/<str:ref>/slots/", views.StoreSlotsView.as_view(), name="store-slots"),
    path(
        "seller/availability/", views.SellerAvailabilityView.as_view(), name="seller-availability"
    ),
    *router.urls,
]
