from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory, approved_store_for
from consultations import services
from consultations.models import ConsultationService
from stores.models import StoreKind

WEEKLY = [{"weekday": day, "start": "08:00", "end": "18:00"} for day in range(7)]


@pytest.fixture
def dermatologist(db):
    user = UserFactory(is_seller=False)
    store = approved_store_for(
        user, kind=StoreKind.DERMATOLOGIST, license_number="DERM-1", license_country="FR"
    )
    user.is_seller = True
    user.save(update_fields=["is_seller"])
    services.availability_set(
        store=store, timezone_name="Europe/Paris", weekly=WEEKLY, exceptions=[]
    )
    return user


@pytest.fixture
def derm_store(dermatologist):
    return dermatologist.store


@pytest.fixture
def service(derm_store):
    return ConsultationService.objects.create(
        store=derm_store,
        name="Acne review",
        duration_minutes=60,
        price=Decimal("80.00"),
        currency="USD",
    )


@pytest.fixture
def customer(db):
    return UserFactory()
