import factory

from accounts.tests.factories import UserFactory
from stores.models import Store, StoreKind, StoreStatus


class StoreFactory(factory.django.DjangoModelFactory):
    """A pending brand store (the state an application starts in)."""

    class Meta:
        model = Store

    owner = factory.SubFactory(UserFactory)
    kind = StoreKind.BRAND
    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    country = "US"
    contact_email = factory.LazyAttribute(lambda o: o.owner.email)
    status = StoreStatus.PENDING


class DermatologistStoreFactory(StoreFactory):
    kind = StoreKind.DERMATOLOGIST
    name = factory.Sequence(lambda n: f"Dr. Skin {n}")
    slug = factory.Sequence(lambda n: f"dr-skin-{n}")
    license_number = factory.Sequence(lambda n: f"MD-{n:06d}")
    license_country = "US"
