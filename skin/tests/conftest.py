from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests.factories import UserFactory, approved_store_for
from consultations import services as consultation_services
from consultations.models import Consultation, ConsultationService, ConsultationStatus
from consultations.selectors import free_slots_for
from skin.tests import images
from stores.models import StoreKind

ANALYSES = "/api/v1/users/me/skin-analyses/"
PROFILE = "/api/v1/users/me/skin-profile/"
WEEKLY = [{"weekday": day, "start": "08:00", "end": "18:00"} for day in range(7)]


def analysis_url(analysis_id, suffix="") -> str:
    return f"{ANALYSES}{analysis_id}/{suffix}"


def shared_url(consultation, suffix="skin/") -> str:
    return f"/api/v1/seller/consultations/{consultation.pk}/{suffix}"


def upload(client, image=None, image_format="JPEG", name="me.jpg", **save):
    data = images.encoded(image or images.patch(), image_format, **save)
    photo = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(ANALYSES, {"photo": photo}, format="multipart")


def make_dermatologist(email=None):
    user = UserFactory(is_seller=False, **({"email": email} if email else {}))
    store = approved_store_for(
        user, kind=StoreKind.DERMATOLOGIST, license_number="DERM-1", license_country="FR"
    )
    user.is_seller = True
    user.save(update_fields=["is_seller"])
    consultation_services.availability_set(
        store=store, timezone_name="Europe/Paris", weekly=WEEKLY, exceptions=[]
    )
    return user


def book(*, customer, dermatologist, status=ConsultationStatus.CONFIRMED, share=True):
    service = ConsultationService.objects.create(
        store=dermatologist.store,
        name="Skin review",
        duration_minutes=30,
        price=Decimal("50.00"),
        currency="USD",
    )
    day = (timezone.now() + timedelta(days=2)).date()
    slot = free_slots_for(
        service=service, availability=service.store.availability, first_day=day, last_day=day
    )[0]
    consultation = consultation_services.consultation_book(
        customer=customer, service=service, starts_at=slot, share_skin_profile=share
    )
    Consultation.objects.filter(pk=consultation.pk).update(status=status)
    consultation.refresh_from_db()
    return consultation


@pytest.fixture
def customer(db):
    return UserFactory()


@pytest.fixture
def customer_client(client_for, customer):
    return client_for(customer)


@pytest.fixture
def dermatologist(db):
    return make_dermatologist()


@pytest.fixture
def derm_client(client_for, dermatologist):
    return client_for(dermatologist)


@pytest.fixture
def analysed(customer_client, django_capture_on_commit_callbacks):
    """Upload a photo and run its analysis (the task runs in-process after commit)."""

    def run(image=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(customer_client, image, **kwargs)
        assert response.status_code == 202, response.content
        return response.json()

    return run
