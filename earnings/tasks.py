"""Celery tasks of earnings: thin wrappers over services, for Celery beat."""

from celery import shared_task

from earnings.services import payouts_run


@shared_task
def run_payouts() -> dict:
    """The run_payouts command's work (daily); returns what the run did."""
    run = payouts_run()
    return {
        "opened": len(run.opened),
        "resent": len(run.resent),
        "paid": run.paid,
        "failed": run.failed,
        "still_processing": run.still_processing,
    }
