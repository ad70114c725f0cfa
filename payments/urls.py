"""Payments routes: payments and the Stripe webhook.
Mounted under /api/v1/ by config/api_router.py."""

from django.urls import path

from core.routers import ApiRouter
from payments import views

router = ApiRouter()
router.register("payments", views.PaymentViewSet, basename="payment")

urlpatterns = [
    path("payments/webhooks/stripe/", views.StripeWebhookView.as_view(), name="stripe-webhook"),
    *router.urls,
]
