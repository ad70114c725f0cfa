from django.db.models import QuerySet

from payments.models import Payment


def payment_list_for(*, user) -> QuerySet[Payment]:
    """The payments the user may see (staff: every payment), newest first, refunds
    prefetched so a page costs the same number of queries whatever its size."""
    payments = Payment.objects.prefetch_related("refunds").order_by("-created_at", "-id")
    if not user.is_staff:
        payments = payments.filter(user=user)
    return payments
