"""The Idempotency-Key mechanism on a tiny endpoint, independent of orders and payments
(their own tests cover it through POST orders/ and POST payments/)."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tests.factories import UserFactory
from core.exceptions import Conflict
from core.idempotency import idempotent
from core.models import IdempotencyKey

calls = []


class CreateThingView(APIView):
    @idempotent
    def post(self, request):
        calls.append(request.data)
        if request.data.get("fail") == "domain":
            raise Conflict("Out of things.")
        if request.data.get("fail") == "crash":
            raise RuntimeError("crash")
        if request.data.get("slow"):
            slow_started.set()
            release_slow.wait(timeout=10)
        return Response({"thing": len(calls), "echo": request.data}, status=201)


slow_started = threading.Event()
release_slow = threading.Event()

urlpatterns = [path("things/", CreateThingView.as_view())]
pytestmark = pytest.mark.urls("core.tests.test_idempotency")


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()
    slow_started.clear()
    release_slow.clear()


def _post(client, body, key="key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post("/things/", body, format="json", **headers)


def test_replay_with_same_key_and_body_returns_first_answer_without_redoing_work(user_client):
    first = _post(user_client, {"a": 1})
    second = _post(user_client, {"a": 1})

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert len(calls) == 1


def test_same_key_with_another_body_is_refused_with_422(user_client):
    _post(user_client, {"a": 1})

    response = _post(user_client, {"a": 2})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_conflict"
    assert len(calls) == 1


def test_without_a_key_every_request_does_the_work(user_client):
    _post(user_client, {"a": 1}, key=None)
    _post(user_client, {"a": 1}, key=None)

    assert len(calls) == 2
    assert not IdempotencyKey.objects.exists()


def test_keys_are_per_user(db, client_for):
    alice, bob = client_for(UserFactory()), client_for(UserFactory())

    _post(alice, {"a": 1})
    response = _post(bob, {"a": 1})

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert len(calls) == 2


def test_a_domain_error_is_the_stored_answer(user_client):
    first = _post(user_client, {"fail": "domain"})
    second = _post(user_client, {"fail": "domain"})

    assert first.status_code == second.status_code == 409
    assert second.json() == first.json() == {"code": "conflict", "detail": "Out of things."}
    assert len(calls) == 1


def test_an_unexpected_failure_frees_the_key_for_a_retry(user_client):
    user_client.raise_request_exception = False
    crashed = _post(user_client, {"fail": "crash"})
    assert crashed.status_code == 500
    assert not IdempotencyKey.objects.exists()

    retried = _post(user_client, {"ok": True}, key="key-1")

    assert retried.status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_malformed_key_is_a_400(user_client, key):
    response = _post(user_client, {"a": 1}, key=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert calls == []


def test_an_expired_key_can_be_used_again(user_client, settings):
    _post(user_client, {"a": 1})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = _post(user_client, {"a": 2})

    assert response.status_code == 201
    assert len(calls) == 2


def test_purge_command_removes_only_keys_past_retention(user):
    old = IdempotencyKey.objects.create(user=user, key="old", scope="POST /x/", request_hash="h")
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    fresh = IdempotencyKey.objects.create(user=user, key="new", scope="POST /x/", request_hash="h")

    call_command("purge_idempotency_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]


@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_request_runs_gets_409(client_for):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises the two writers")
    client = client_for(UserFactory())
    results = {}

    def first():
        try:
            results["first"] = _post(client, {"slow": True})
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert slow_started.wait(timeout=10)
        results["second"] = _post(client, {"slow": True})
    finally:
        release_slow.set()
        thread.join(timeout=10)

    assert results["second"].status_code == 409
    assert results["second"].json()["code"] == "idempotency_conflict"
    assert results["first"].status_code == 201
    assert len(calls) == 1
