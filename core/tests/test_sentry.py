"""Errors go to Sentry only when SENTRY_DSN is set, tagged with the request id and without
personal data. The SDK patches Django globally once started, so the runs that start it
happen in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.logs import bind_request_id, unbind_request_id
from core.sentry import sentry_init, tag_request_id

BASE_DIR = Path(__file__).resolve().parents[2]
DSN = "https://public@sentry.invalid/1"


def _python(code: str, **env) -> subprocess.CompletedProcess:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "False",
        "SECRET_KEY": "sentry-test-secret-key-k7Qp2vZ9xLm4Rt8Wb1Nc6Hy3Jd5Fs0Ge",
        "JWT_SIGNING_KEY": "sentry-test-jwt-key-Xq2Pz9Lr4Vm8Tb1Nc6Hd3Ks5Fy0GaUe",
        "SECURE_SSL_REDIRECT": "False",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_a_dsn_the_sdk_is_not_even_loaded():
    result = _python("import sys, django; django.setup(); print('sentry_sdk' in sys.modules)")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_with_a_dsn_the_settings_start_the_sdk_with_its_options():
    code = """
import json, django
django.setup()
import sentry_sdk
client = sentry_sdk.get_client()
print(json.dumps({
    "active": client.is_active(),
    "environment": client.options["environment"],
    "release": client.options["release"],
    "traces_sample_rate": client.options["traces_sample_rate"],
    "send_default_pii": client.options["send_default_pii"],
    "before_send": client.options["before_send"].__name__,
}))
"""
    result = _python(
        code,
        SENTRY_DSN=DSN,
        SENTRY_ENVIRONMENT="staging",
        SENTRY_RELEASE="marketplace@1.2.3",
        SENTRY_TRACES_SAMPLE_RATE="0.25",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "active": True,
        "environment": "staging",
        "release": "marketplace@1.2.3",
        "traces_sample_rate": 0.25,
        "send_default_pii": False,
        "before_send": "tag_request_id",
    }


def test_an_error_in_a_request_reaches_the_tracker_tagged_with_the_request_id():
    # A fake transport keeps the events instead of sending them.
    code = f"""
import json, django
django.setup()
from django.test import Client, override_settings
from sentry_sdk.transport import Transport
from core.sentry import sentry_init

events = []

class KeepEvents(Transport):
    def capture_envelope(self, envelope):
        event = envelope.get_event()
        if event is not None:
            events.append(event)

sentry_init(dsn={DSN!r}, environment="test", release=None, traces_sample_rate=0.0,
            transport=KeepEvents)
with override_settings(ROOT_URLCONF="core.tests.urls"):
    status = Client().get("/boom/", HTTP_X_REQUEST_ID="req-sentry-1",
                          HTTP_AUTHORIZATION="Bearer secret-token",
                          HTTP_COOKIE="sessionid=secret-cookie").status_code
import sentry_sdk
sentry_sdk.flush()
print(json.dumps({{"status": status, "events": events}}, default=str))
"""
    result = _python(code)

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 500
    assert answer["events"], "no event captured"
    event = answer["events"][0]
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert "boom" in json.dumps(event)
    sent = json.dumps(event)
    assert "secret-token" not in sent
    assert "secret-cookie" not in sent


def test_sentry_init_does_nothing_without_a_dsn(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: calls.append(options))

    started = sentry_init(dsn="", environment="x", release=None, traces_sample_rate=1.0)

    assert started is False
    assert calls == []


def test_sentry_init_passes_the_privacy_and_sampling_options(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: calls.append(options))

    started = sentry_init(dsn=DSN, environment="prod", release="r1", traces_sample_rate=0.1)

    assert started is True
    (options,) = calls
    assert options["dsn"] == DSN
    assert options["send_default_pii"] is False
    assert options["traces_sample_rate"] == 0.1
    assert (options["environment"], options["release"]) == ("prod", "r1")
    assert options["before_send"] is tag_request_id


@pytest.mark.parametrize(("request_id", "tags"), [("req-7", {"request_id": "req-7"}), (None, {})])
def test_events_are_tagged_with_the_current_request_id(request_id, tags):
    token = bind_request_id(request_id)
    try:
        event = tag_request_id({"message": "x"}, {})
    finally:
        unbind_request_id(token)

    assert event.get("tags", {}) == tags
