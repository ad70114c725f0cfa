"""Earnings routes: commission rules, the seller's money, payouts.
Mounted under /api/v1/ by config/api_router.py."""

from django.urls import path

from core.routers import ApiRouter
from earnings import views

router = ApiRouter()
router.register("commission-rules", views.CommissionRuleViewSet, basename="commission-rule")

urlpatterns = [
    path("seller/balance/", views.SellerBalanceView.as_view(), name="seller-balance"),
    path("seller/ledger/", views.SellerLedgerView.as_view(), name="seller-ledger"),
    path(
        "seller/ledger/export/", views.SellerLedgerExportView.as_view(), name="seller-ledger-export"
    ),
    path("seller/payouts/", views.SellerPayoutListView.as_view(), name="seller-payouts"),
    path("ledger/adjustments/", views.LedgerAdjustmentView.as_view(), name="ledger-adjustment"),
    path("payouts/", views.PayoutListView.as_view(), name="payout-list"),
    path("payouts/run/", views.PayoutRunView.as_view(), name="payout-run"),
    path(
        "payouts/webhooks/stripe/",
        views.StripePayoutWebhookView.as_view(),
        name="stripe-payout-webhook",
    ),
    *router.urls,
]
