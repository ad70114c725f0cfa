"""Dashboard routes: the metrics and their export.
Mounted under /api/v1/ by config/api_router.py."""

from django.urls import path

from dashboard import views

urlpatterns = [
    path("dashboard/metrics/", views.MetricsView.as_view(), name="dashboard-metrics"),
    path(
        "dashboard/metrics/export/",
        views.MetricsExportView.as_view(),
        name="dashboard-metrics-export",
    ),
]
