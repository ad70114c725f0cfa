"""The Celery beat schedule names real tasks, and the periodic tasks do their work."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from cart.models import Cart
from cart.tasks import purge_guest_carts
from config.celery import app
from core.models import IdempotencyKey
from core.tasks import purge_idempotency_keys


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.mark.django_db
def test_purge_tasks_remove_only_stale_rows(user):
    stale_cart = Cart.objects.create(token="stale-token")
    fresh_cart = Cart.objects.create(token="fresh-token")
    Cart.objects.filter(pk=stale_cart.pk).update(
        updated_at=timezone.now() - timedelta(days=settings.GUEST_CART_MAX_AGE_DAYS + 1)
    )
    old_key = IdempotencyKey.objects.create(user=user, key="k", scope="POST /x/", request_hash="h")
    IdempotencyKey.objects.filter(pk=old_key.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS + 1)
    )

    assert purge_guest_carts.delay().get() == 1
    assert purge_idempotency_keys.delay().get() == 1
    assert list(Cart.objects.values_list("pk", flat=True)) == [fresh_cart.pk]
    assert not IdempotencyKey.objects.exists()
