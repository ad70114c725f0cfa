from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from core.countries import validate_country_code
from core.models import BaseModel


class StoreKind(models.TextChoices):
    BRAND = "brand", "Brand"
    DERMATOLOGIST = "dermatologist", "Dermatologist"


class StoreStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"


# Slugs that would shadow a route under stores/.
RESERVED_SLUGS = frozenset({"apply", "me"})


class Store(BaseModel):
    """A business on the marketplace, owned by one user (its seller). Only an approved
    store's products are public and can be bought; a suspended store keeps fulfilling the
    orders it already has. Status changes go through stores.services."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="store"
    )
    kind = models.CharField(max_length=16, choices=StoreKind.choices)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[validate_country_code],
        help_text="ISO 3166-1 alpha-2 code of the business.",
    )
    contact_email = models.EmailField(blank=True)
    logo = models.ImageField(upload_to="stores/", blank=True)
    status = models.CharField(
        max_length=16, choices=StoreStatus.choices, default=StoreStatus.PENDING, db_index=True
    )
    # A dermatologist's medical licence; approving the store is verifying it.
    license_number = models.CharField(max_length=64, blank=True)
    license_country = models.CharField(max_length=2, blank=True, validators=[validate_country_code])
    verified = models.BooleanField(default=False)
    rejection_reason = models.CharField(max_length=500, blank=True)
    suspension_reason = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff member who last approved, rejected, suspended or reinstated it.",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    # Where payouts go (e.g. a Stripe Connect account id, acct_...). Set by staff only:
    # whoever can change it can redirect the store's money.
    payout_account_id = models.CharField(max_length=255, blank=True)
    # Storefront figures, recomputed from the products (catalog) and their approved
    # reviews (reviews) in the same transaction as each change, under this row's lock.
    product_count = models.PositiveIntegerField(default=0)
    average_rating = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0"))
    review_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="stores_store_name_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "kind", "name"], name="stores_store_public_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == StoreStatus.APPROVED
