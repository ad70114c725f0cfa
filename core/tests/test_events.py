"""Domain events: `publish` runs the handlers inside the publisher's transaction,
`publish_on_commit` after it commits."""

import pytest
from django.db import transaction

from core import events


@pytest.fixture
def event_name(request):
    name = f"test.{request.node.name}"
    yield name
    events._subscribers.pop(name, None)


def test_publish_calls_each_handler_at_once_with_the_payload(event_name):
    calls = []
    events.subscribe(event_name, lambda **payload: calls.append(payload))

    events.publish(event_name, user_ids=[1, 2])

    assert calls == [{"user_ids": [1, 2]}]


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_of_publish_rolls_the_publishers_write_back(event_name, user):
    def refuse(**payload):
        raise RuntimeError("no")

    events.subscribe(event_name, refuse)

    with pytest.raises(RuntimeError), transaction.atomic():
        user.email = "changed@example.com"
        user.save(update_fields=["email"])
        events.publish(event_name)

    user.refresh_from_db()
    assert user.email != "changed@example.com"


@pytest.mark.django_db(transaction=True)
def test_publish_on_commit_waits_for_the_commit_and_survives_a_failing_handler(event_name):
    calls = []

    def refuse(**payload):
        raise RuntimeError("no")

    events.subscribe(event_name, refuse)
    events.subscribe(event_name, lambda **payload: calls.append(payload))

    with transaction.atomic():
        events.publish_on_commit(event_name, store_id=7)
        assert calls == []

    assert calls == [{"store_id": 7}]
