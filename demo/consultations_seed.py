"""Demo consultations: each approved dermatologist store offers two services on a weekly
plan in its own time zone; the demo customer has a completed consultation with a summary
and a regimen, and a confirmed one in a few days, so the dashboard, the customer's list,
the slots and the regimen's add-to-cart all show something on a fresh `make run`.

Bookings go through the consultation services (slot checks, the order, its fulfilment and
commission); the payment is written as the demo history writes its own (the fake
provider's succeeded charge), then the order is marked paid and the sale recorded, as a
payment would."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Product
from consultations.models import Consultation, ConsultationService
from consultations.selectors import free_slots_for
from consultations.services import availability_set, consultation_book, consultation_complete
from demo.accounts_seed import CUSTOMER_EMAIL
from earnings.services import ledger_record_sale
from orders.models import FulfilmentStatus
from orders.services import order_mark_paid
from payments.models import Payment, PaymentStatus
from payments.providers.fake import FakeProvider
from stores.models import Store, StoreKind, StoreStatus

# slug -> (time zone, weekly hours)
PLANS = {
    "dr-amara-osei": ("Europe/London", [("09:00", "12:30"), ("14:00", "17:30")]),
    "clear-skin-clinic": ("America/Chicago", [("08:00", "12:00"), ("13:00", "16:00")]),
}
SERVICES = [
    ("Acne and breakouts review", "Thirty minutes on your skin, routine and options.", 30, "45"),
    ("Full skin consultation", "An hour: history, concerns, a routine to follow.", 60, "90"),
]
SUMMARY = (
    "Mild inflammatory acne on the cheeks. Cleanse gently twice a day, use the serum in the "
    "evening, and a non-comedogenic SPF every morning. Let us review in eight weeks."
)


def _pay(consultation: Consultation) -> None:
    order = consultation.order
    Payment.objects.create(
        order=order,
        user=order.user,
        provider=FakeProvider.name,
        status=PaymentStatus.SUCCEEDED,
        amount=order.total,
        currency=order.currency,
        provider_reference=f"fake_ch_demo_{consultation.pk.hex}",
        succeeded_at=timezone.now(),
    )
    order = order_mark_paid(order=order)  # confirms the consultation
    for fulfilment in order.fulfilments.filter(status=FulfilmentStatus.PAID):
        ledger_record_sale(fulfilment=fulfilment)


def _book_and_pay(*, customer, service, days_ahead: int) -> Consultation:
    day = (timezone.now() + timedelta(days=days_ahead)).date()
    slots = []
    while not slots:  # the next day with free slots (weekends may be closed)
        slots = free_slots_for(
            service=service, availability=service.store.availability, first_day=day, last_day=day
        )
        day += timedelta(days=1)
    consultation = consultation_book(
        customer=customer,
        service=service,
        starts_at=slots[len(slots) // 2],
        share_skin_profile=True,
        note="Breakouts on my cheeks since the autumn.",
    )
    _pay(consultation)
    consultation.refresh_from_db()
    return consultation


@transaction.atomic
def consultations_ensure() -> int:
    """Services and plans for the dermatologist stores, and the demo customer's two
    consultations when they have none; returns how many consultations were created."""
    stores = Store.objects.filter(
        kind=StoreKind.DERMATOLOGIST, status=StoreStatus.APPROVED, slug__in=PLANS
    ).order_by("slug")
    for store in stores:
        tz, hours = PLANS[store.slug]
        weekly = [{"weekday": d, "start": s, "end": e} for d in range(5) for s, e in hours]
        availability_set(store=store, timezone_name=tz, weekly=weekly, exceptions=[])
        for name, description, minutes, price in SERVICES:
            ConsultationService.objects.get_or_create(
                store=store,
                name=name,
                defaults={
                    "description": description,
                    "duration_minutes": minutes,
                    "price": Decimal(price),
                    "currency": settings.DEFAULT_CURRENCY,
                },
            )
    customer = User.objects.filter(email=CUSTOMER_EMAIL).first()
    store = stores.filter(slug="dr-amara-osei").first()
    if customer is None or store is None or Consultation.objects.filter(customer=customer).exists():
        return 0
    regimen = list(
        Product.objects.filter(
            store=store, is_active=True, is_deleted=False, stock_quantity__gt=0
        ).order_by("slug")[:2]
    )
    if not regimen:  # like the history: no products, no past activity
        return 0
    short, full = (ConsultationService.objects.get(store=store, name=name) for name, *_ in SERVICES)
    past = _book_and_pay(customer=customer, service=full, days_ahead=3)
    # Ten days ago, then completed with its regimen.
    shift = timedelta(days=13)  # three days ahead, now ten days ago, at the same hour
    Consultation.objects.filter(pk=past.pk).update(
        starts_at=past.starts_at - shift, ends_at=past.ends_at - shift
    )
    consultation_complete(
        consultation=Consultation.objects.get(pk=past.pk),
        summary=SUMMARY,
        private_notes="Consider a topical retinoid at the review if no change.",
        recommended_products=[
            {"product_id": product.pk, "note": "Evening" if i else "Morning and evening"}
            for i, product in enumerate(regimen)
        ],
    )
    _book_and_pay(customer=customer, service=short, days_ahead=4)
    return 2
