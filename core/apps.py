from celery.signals import before_task_publish, task_postrun, task_prerun
from django.apps import AppConfig

from core import checks  # noqa: F401  (registers the deployment checks)
from core.logs import add_request_id_to_task_headers, bind_task_request_id, unbind_task_request_id


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # A task queued during a request logs with that request's id.
        before_task_publish.connect(add_request_id_to_task_headers, weak=False)
        task_prerun.connect(bind_task_request_id, weak=False)
        task_postrun.connect(unbind_task_request_id, weak=False)
