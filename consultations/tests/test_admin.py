"""Consultations in the admin: services and plans edited, bookings read-only, and the
dermatologist's private notes never on a staff page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from consultations import services
from consultations.models import Consultation
from consultations.selectors import free_slots_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def consultation(service, customer):
    day = (timezone.now() + timedelta(days=2)).date()
    slot = free_slots_for(
        service=service, availability=service.store.availability, first_day=day, last_day=day
    )[0]
    booked = services.consultation_book(customer=customer, service=service, starts_at=slot)
    Consultation.objects.filter(pk=booked.pk).update(private_notes="Only-for-the-doctor")
    return booked


def test_the_pages_list_services_plans_and_bookings(admin, consultation):
    for url in (
        "/admin/consultations/consultationservice/",
        "/admin/consultations/availability/",
        "/admin/consultations/consultation/",
        f"/admin/consultations/consultation/{consultation.pk}/change/",
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert b"Only-for-the-doctor" not in response.content
        assert consultation.room.encode() not in response.content


def test_bookings_cannot_be_added_changed_or_deleted_in_the_admin(admin, consultation):
    url = f"/admin/consultations/consultation/{consultation.pk}/change/"

    admin.post(url, {"status": "completed"})

    consultation.refresh_from_db()
    assert consultation.status == "pending_payment"
    assert admin.get("/admin/consultations/consultation/add/").status_code == 403
    assert admin.get(f"{url[:-7]}delete/").status_code == 403
