"""Conversations routes: conversations, their messages, reports.
Mounted under /api/v1/ by config/api_router.py."""

from django.urls import path

from conversations import views
from core.routers import ApiRouter

router = ApiRouter()
router.register("conversations", views.ConversationViewSet, basename="conversation")

urlpatterns = [
    path(
        "messages/<uuid:message_id>/report/",
        views.MessageReportView.as_view(),
        name="message-report",
    ),
    *router.urls,
]
