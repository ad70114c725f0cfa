"""Celery tasks of core: thin wrappers over services, for Celery beat."""

from celery import shared_task

from core.idempotency import idempotency_keys_purge


@shared_task
def purge_idempotency_keys() -> int:
    """The purge_idempotency_keys command's work; returns how many keys were removed."""
    return idempotency_keys_purge()
