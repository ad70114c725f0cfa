"""Celery tasks of the skin app: thin wrappers, queued after commit by skin.services."""

from celery import shared_task

from skin.processing import skin_analysis_run


@shared_task(acks_late=True)
def analyse_skin_photo(analysis_id: str) -> str | None:
    """Measure a pending analysis's photo; its new status, or None if it was not pending."""
    return skin_analysis_run(analysis_id=analysis_id)
