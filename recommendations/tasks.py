"""Celery tasks of recommendations: thin wrappers over the services, for beat."""

from celery import shared_task

from recommendations.services import DEFAULT_TOP_N, recommendations_compute


@shared_task
def compute_recommendations(top_n: int = DEFAULT_TOP_N, only_ordered: bool = False) -> int:
    """For Celery beat: the compute_recommendations command's work; returns rows written."""
    return recommendations_compute(top_n=top_n, only_ordered=only_ordered)
