"""The demo stores: brand stores and dermatologist stores that sell the demo products, one
application waiting for staff review and one suspended store (whose products are hidden),
so that the storefronts, the review queue and the seller views all have something to show."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Profile, User
from demo.accounts_seed import DERMATOLOGIST_EMAIL, SELLER_EMAIL
from stores.models import Store, StoreKind, StoreStatus

# Sellers other than the two printed accounts log in with this password.
STORE_OWNER_PASSWORD = "Demo-store-2026"


@dataclass(frozen=True)
class DemoStore:
    email: str
    name: str
    slug: str
    kind: str
    status: str
    country: str
    description: str
    owner_name: tuple[str, str] = ("", "")
    license: tuple[str, str] = ("", "")
    reason: str = ""


DEMO_STORES = [
    DemoStore(
        SELLER_EMAIL,
        "Solenne Labs",
        "solenne-labs",
        StoreKind.BRAND,
        StoreStatus.APPROVED,
        "FR",
        "French skincare laboratory: serums, creams and cleansers made in Lyon.",
        ("Camille", "Moreau"),
    ),
    DemoStore(
        DERMATOLOGIST_EMAIL,
        "Dr. Amara Osei Dermatology",
        "dr-amara-osei",
        StoreKind.DERMATOLOGIST,
        StoreStatus.APPROVED,
        "GB",
        "Board-certified dermatologist: acne, rosacea and pigmentation care, and the "
        "products she prescribes most.",
        ("Amara", "Osei"),
        ("GMC-7712345", "GB"),
    ),
    DemoStore(
        "verte@example.com",
        "Verte Botanicals",
        "verte-botanicals",
        StoreKind.BRAND,
        StoreStatus.APPROVED,
        "DE",
        "Plant-based hair and body care from Berlin.",
        ("Jonas", "Weber"),
    ),
    DemoStore(
        "clearskin@example.com",
        "Clear Skin Clinic",
        "clear-skin-clinic",
        StoreKind.DERMATOLOGIST,
        StoreStatus.APPROVED,
        "US",
        "A dermatology practice in Austin, Texas: sensitive skin and anti-ageing.",
        ("Maya", "Patel"),
        ("TX-MD-48213", "US"),
    ),
    DemoStore(
        "lumen@example.com",
        "Lumen Aesthetics",
        "lumen-aesthetics",
        StoreKind.BRAND,
        StoreStatus.SUSPENDED,
        "IT",
        "Professional aesthetics devices and peels.",
        ("Giulia", "Rossi"),
        reason="Product safety documents expired; send the renewed certificates.",
    ),
    DemoStore(
        "newbrand@example.com",
        "Nord Skin Studio",
        "nord-skin-studio",
        StoreKind.BRAND,
        StoreStatus.PENDING,
        "SE",
        "Minimalist Scandinavian skincare, applying to sell on the marketplace.",
        ("Elsa", "Lindqvist"),
    ),
]


@transaction.atomic
def stores_ensure() -> list[Store]:
    """The DEMO_STORES by slug, with their owners, created when missing; existing ones are
    left as they are. The printed seller accounts are expected to exist already."""
    stores = []
    password = None
    for spec in DEMO_STORES:
        store = Store.objects.filter(slug=spec.slug).first()
        if store is None:
            owner = User.objects.filter(email=spec.email).first()
            if owner is None:
                password = password or make_password(STORE_OWNER_PASSWORD)
                owner = User.objects.create_user(spec.email, None)  # with its profile
                User.objects.filter(pk=owner.pk).update(password=password)
            Profile.objects.filter(user=owner).update(
                first_name=spec.owner_name[0], last_name=spec.owner_name[1]
            )
            existing = Store.objects.filter(owner=owner).first()
            if existing is not None:  # the owner opened another store: keep theirs
                stores.append(existing)
                continue
            now = timezone.now()
            approved = spec.status in (StoreStatus.APPROVED, StoreStatus.SUSPENDED)
            store = Store.objects.create(
                owner=owner,
                kind=spec.kind,
                name=spec.name,
                slug=spec.slug,
                description=spec.description,
                country=spec.country,
                contact_email=spec.email,
                status=spec.status,
                license_number=spec.license[0],
                license_country=spec.license[1],
                verified=approved and spec.kind == StoreKind.DERMATOLOGIST,
                approved_at=now if approved else None,
                suspended_at=now if spec.status == StoreStatus.SUSPENDED else None,
                suspension_reason=spec.reason,
                # A made-up connected account: the demo pays out with the fake provider.
                payout_account_id=f"acct_demo_{spec.slug.replace('-', '_')}" if approved else "",
            )
            User.objects.filter(pk=owner.pk).update(is_seller=approved)
        stores.append(store)
    return stores
