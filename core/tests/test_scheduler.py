"""The in-process schedule of `make run` (core.scheduler), driven by a fake clock."""

import importlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.scheduler import Scheduler, scheduler_from_settings
from orders.models import Order
from orders.tests.factories import OrderFactory


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_each_job_runs_every_interval_from_one_interval_after_the_start():
    clock, ran = Clock(), []
    scheduler = Scheduler(
        {
            "fast": {"task": "a", "schedule": 60.0},
            "slow": {"task": "b", "schedule": 300.0, "kwargs": {"all_products": True}},
        },
        clock=clock,
        run=lambda task, kwargs: ran.append((task, kwargs)),
    )

    assert scheduler.tick() == []
    clock.now += 60
    assert scheduler.tick() == ["fast"]
    clock.now += 240
    assert scheduler.tick() == ["fast", "slow"]
    assert ran == [("a", {}), ("a", {}), ("b", {"all_products": True})]
    assert scheduler.seconds_to_next() == 60


def test_missed_runs_are_not_made_up_and_a_failing_job_runs_again_next_time():
    clock, calls = Clock(), []

    def run(task, kwargs):
        calls.append(task)
        raise RuntimeError("the database is busy")

    scheduler = Scheduler({"job": {"task": "a", "schedule": 10.0}}, clock=clock, run=run)

    clock.now += 35  # three runs were due: one happens
    assert scheduler.tick() == ["job"]
    assert scheduler.tick() == []
    clock.now += 5
    assert scheduler.tick() == ["job"]
    assert calls == ["a", "a"]


@pytest.mark.django_db
def test_the_project_schedule_expires_unpaid_orders_in_process(settings):
    settings.ORDER_UNPAID_EXPIRY_MINUTES = 60
    stale = OrderFactory()
    Order.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=2))
    clock = Clock()
    scheduler = scheduler_from_settings(clock=clock)
    expiry = next(e for e in scheduler.entries if e.task == "checkout.tasks.expire_unpaid_orders")

    clock.now += expiry.every
    ran = scheduler.tick()

    assert expiry.name in ran
    stale.refresh_from_db()
    assert stale.status == "cancelled"


def test_the_command_knows_every_beat_entry(settings, monkeypatch):
    out = StringIO()

    def stop(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("core.management.commands.run_schedule.time.sleep", stop)
    call_command("run_schedule", stdout=out)

    for name in settings.CELERY_BEAT_SCHEDULE:
        assert name in out.getvalue()


def test_every_beat_entry_names_a_task_that_exists(settings):
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        module, _, function = entry["task"].rpartition(".")
        task = getattr(importlib.import_module(module), function, None)
        assert task is not None and task.name == entry["task"], name
