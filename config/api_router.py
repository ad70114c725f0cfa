"""The API, mounted at /api/v1/ in the namespace "api": each app's routes (its ViewSets'
router and its other paths) live in its own urls.py and are included here."""

from django.urls import include, path

app_name = "api"
urlpatterns = [
    path("", include("stores.urls")),
    path("", include("accounts.urls")),
    path("", include("catalog.urls")),
    path("", include("cart.urls")),
    path("", include("coupons.urls")),
    path("", include("checkout.urls")),
    path("", include("earnings.urls")),
    path("", include("payments.urls")),
    path("", include("conversations.urls")),
    path("", include("consultations.urls")),
    path("", include("reviews.urls")),
    path("", include("wishlist.urls")),
    path("", include("dashboard.urls")),
    path("", include("recommendations.urls")),
    path("", include("webhooks.urls")),
    path("", include("skin.urls")),
]
