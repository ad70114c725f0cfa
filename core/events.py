"""Domain events: how a lower app lets the apps above it react, without importing them.

A service publishes an event (a name and a few ids); the apps that care subscribe to it
in their AppConfig.ready(). Two ways to publish:

- `publish_on_commit`: handlers run after the publishing transaction commits, each in its
  own transaction, robustly: a handler that fails is logged and never turns the write that
  published the event into an error (the subscriber reconciles on its own schedule).
- `publish`: handlers run at once, inside the publisher's transaction, as a step of its
  write: what they do commits or rolls back with it, and a handler's error is the
  publisher's. For work that must happen before the write goes on (the reviews of users
  about to be deleted, whose products' ratings must be recomputed first).
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

_subscribers: dict[str, list[Callable]] = defaultdict(list)


def subscribe(event: str, handler: Callable) -> None:
    """Call `handler(**payload)` after every commit that published `event` (once, however
    often the same handler is subscribed)."""
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def _deliver(event: str, payload: dict) -> None:
    for handler in list(_subscribers.get(event, ())):
        try:
            with transaction.atomic():
                handler(**payload)
        except Exception:
            logger.exception(
                "Handler %s of %s failed", getattr(handler, "__name__", handler), event
            )


def publish(event: str, **payload) -> None:
    """Call every handler of `event` now, in the caller's transaction; raises what a
    handler raises."""
    for handler in list(_subscribers.get(event, ())):
        handler(**payload)


def publish_on_commit(event: str, **payload) -> None:
    """Announce `event` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(_deliver, event, payload), robust=True)
