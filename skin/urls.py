"""Skin routes: the caller's profile and analyses, and the dermatologist's view of a
shared consultation. Mounted under /api/v1/ by config/api_router.py."""

from django.urls import path

from core.routers import ApiRouter
from skin import views

router = ApiRouter()
router.register("users/me/skin-analyses", views.SkinAnalysisViewSet, basename="skin-analysis")

_SHARED = "seller/consultations/<uuid:consultation_id>"

urlpatterns = [
    path("users/me/skin-profile/", views.SkinProfileView.as_view(), name="skin-profile"),
    path(f"{_SHARED}/skin/", views.SharedSkinView.as_view(), name="shared-skin"),
    path(
        f"{_SHARED}/analyses/<uuid:analysis_id>/",
        views.SharedAnalysisView.as_view(),
        name="shared-analysis",
    ),
    path(
        f"{_SHARED}/analyses/<uuid:analysis_id>/photo/",
        views.SharedAnalysisPhotoView.as_view(),
        name="shared-analysis-photo",
    ),
    path(
        f"{_SHARED}/analyses/<uuid:analysis_id>/annotation/",
        views.SharedAnalysisAnnotationView.as_view(),
        name="shared-analysis-annotation",
    ),
    *router.urls,
]
