"""Named reads of webhooks: the endpoints and an endpoint's delivery log."""

from uuid import UUID

from django.db.models import QuerySet

from webhooks.models import Delivery, Endpoint


def endpoint_list() -> QuerySet[Endpoint]:
    """Every endpoint, newest first (staff only: the views' permission says so)."""
    return Endpoint.objects.order_by("-created_at", "-id")


def delivery_list_for(*, endpoint: Endpoint, status: str | None = None) -> QuerySet[Delivery]:
    """The endpoint's deliveries, newest first, with their events' id and type (not their
    data); `status` keeps one status."""
    deliveries = (
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .defer("event__data")
        .order_by("-created_at", "-id")
    )
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries


def delivery_get(*, pk: UUID) -> Delivery:
    """One delivery as the log shows it; raises Delivery.DoesNotExist."""
    return Delivery.objects.select_related("event").defer("event__data").get(pk=pk)
