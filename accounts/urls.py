"""Accounts routes: auth, the caller's own account and addresses, staff's users.
Mounted under /api/v1/ by config/api_router.py."""

from django.urls import path

from accounts import views
from core.routers import ApiRouter

router = ApiRouter()
router.register("users/me/addresses", views.AddressViewSet, basename="address")
router.register("users", views.UserAdminViewSet, basename="user")

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenObtainView.as_view(), name="auth-token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("users/me/", views.MeView.as_view(), name="user-me"),
    path("users/me/password/", views.PasswordChangeView.as_view(), name="user-me-password"),
    *router.urls,
]
