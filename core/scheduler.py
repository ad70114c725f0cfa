"""The beat schedule run in-process, for development: `manage.py run_schedule` does in
one process what Celery beat and a worker do in production (no broker needed), so that
unpaid orders expire, holds lapse and prices follow their discount windows under
`make run` too. Production runs `celery -A config beat` (one) and workers instead."""

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass
class Entry:
    name: str
    task: str
    every: float
    kwargs: dict
    next_run: float


class Scheduler:
    """Runs each entry of a beat schedule (only fixed intervals, which is all the project
    uses) every `schedule` seconds, the first time one interval after the start. `clock`
    and `run` are injectable: tests drive the schedule without sleeping."""

    def __init__(
        self,
        schedule: dict,
        *,
        clock: Callable[[], float] = time.monotonic,
        run: Callable[[str, dict], object] | None = None,
    ):
        self.clock = clock
        self.run = run or _run_task
        start = clock()
        self.entries = [
            Entry(
                name=name,
                task=entry["task"],
                every=float(entry["schedule"]),
                kwargs=dict(entry.get("kwargs", {})),
                next_run=start + float(entry["schedule"]),
            )
            for name, entry in schedule.items()
        ]

    def tick(self) -> list[str]:
        """Run the entries that are due now; returns their names. A failing task is logged
        and tried again at its next time."""
        now = self.clock()
        ran = []
        for entry in self.entries:
            if entry.next_run > now:
                continue
            try:
                self.run(entry.task, entry.kwargs)
            except Exception:
                logger.exception("Scheduled job %s failed", entry.name)
            # Missed runs (a long job, a sleeping laptop) are not made up for.
            while entry.next_run <= now:
                entry.next_run += entry.every
            ran.append(entry.name)
        return ran

    def seconds_to_next(self) -> float:
        return max(0.0, min(entry.next_run for entry in self.entries) - self.clock())


def _run_task(task: str, kwargs: dict) -> object:
    # A task is named after its module (Celery's default): importing it registers it.
    importlib.import_module(task.rsplit(".", 1)[0])
    return current_app.tasks[task].apply(kwargs=kwargs).get(propagate=True)


def scheduler_from_settings(**kwargs) -> Scheduler:
    return Scheduler(settings.CELERY_BEAT_SCHEDULE, **kwargs)
