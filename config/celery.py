"""The Celery app. With CELERY_BROKER_URL unset, tasks run eagerly in the calling process,
so nothing else is needed locally; set it (e.g. redis://127.0.0.1:6379/1) and run
`celery -A config worker -l info` for a real worker."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _keep_django_logging(**kwargs):
    """Workers log through the settings' LOGGING (same format, request ids), not through
    a setup of Celery's own: a receiver of this signal tells Celery to leave logging be."""
