import factory
from django.utils import timezone

from accounts.models import Address, User
from stores.models import Store, StoreKind, StoreStatus

DEFAULT_PASSWORD = "Sturdy-pass-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    is_active = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", DEFAULT_PASSWORD)
        user = model_class.objects.create_user(*args, password=password, **kwargs)
        if user.is_seller:
            # A seller is the owner of an approved store.
            approved_store_for(user)
        return user


def approved_store_for(user, **fields) -> Store:
    """The user's store, made approved (a brand store named after them) if they have none."""
    store = Store.objects.filter(owner=user).first()
    if store is None:
        slug = f"store-{user.pk.hex[:12]}"
        defaults = {
            "kind": StoreKind.BRAND,
            "name": f"Store {user.pk.hex[:12]}",
            "slug": slug,
            "status": StoreStatus.APPROVED,
            "approved_at": timezone.now(),
            "contact_email": user.email,
        }
        store = Store.objects.create(owner=user, **{**defaults, **fields})
    return store


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    full_name = factory.Faker("name")
    line1 = factory.Faker("street_address")
    city = factory.Faker("city")
    postal_code = factory.Faker("postcode")
    country = "US"
