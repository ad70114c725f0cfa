from datetime import timedelta

from django.utils import timezone

from consultations.models import Consultation


def day_after_tomorrow_slots(client, store, service) -> list[str]:
    day = (timezone.now() + timedelta(days=2)).date().isoformat()
    response = client.get(
        f"/api/v1/stores/{store.slug}/slots/", {"service": service.pk, "from": day, "to": day}
    )
    assert response.status_code == 200, response.json()
    return response.json()["slots"]


def book(client, service, starts_at, **extra):
    return client.post(
        "/api/v1/consultations/",
        {"service": str(service.pk), "starts_at": starts_at, **extra},
        format="json",
    )


def pay(client, order_id):
    return client.post(
        "/api/v1/payments/",
        {"order_id": str(order_id), "provider": "fake", "token": "tok_success"},
        format="json",
    )


def move_to(consultation_id, starts_at):
    """Put a booked consultation at another time (what the passing of time would do)."""
    consultation = Consultation.objects.get(pk=consultation_id)
    length = consultation.ends_at - consultation.starts_at
    Consultation.objects.filter(pk=consultation_id).update(
        starts_at=starts_at, ends_at=starts_at + length
    )
