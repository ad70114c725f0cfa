"""Celery tasks of core: thin wrappers over services, for Celery beat."""

from celery import shared_task

from core.idempotency import idempotency_keys_purge
from core.response_times import response_times_purge


@shared_task
def purge_idempotency_keys() -> int:
    """The purge_idempotency_keys command's work; returns how many keys were removed."""
    return idempotency_keys_purge()


@shared_task
def purge_response_times() -> int:
    """The purge_response_times command's work; returns how many rows were removed."""
    return response_times_purge()
