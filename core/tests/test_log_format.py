"""LOG_FORMAT, through the real settings in a fresh process: what an operator sees on
stderr, one line per request."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
REQUESTS = """
import django
django.setup()
from django.test import Client
client = Client()
client.get("/api/v1/no-such-thing/", HTTP_X_REQUEST_ID="req-404")
client.post("/api/v1/auth/token/", {}, content_type="application/json",
            HTTP_X_REQUEST_ID="req-400")
client.get("/health/", HTTP_X_REQUEST_ID="req-200")
"""


def _run(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LOG_", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", REQUESTS],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_logs_are_one_object_a_line_and_one_line_per_request(tmp_path):
    result = _run(tmp_path, LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(line["request_id"], line["status"], line["level"]) for line in lines] == [
        ("req-404", 404, "WARNING"),
        ("req-400", 400, "WARNING"),
        ("req-200", 200, "INFO"),
    ]
    for line in lines:
        assert {
            "time",
            "level",
            "logger",
            "request_id",
            "message",
            "method",
            "route",
            "status",
            "duration_ms",
            "user_id",
        } <= set(line)
    assert lines[1]["route"] == "/api/v1/auth/token/"
    assert lines[1]["method"] == "POST"


def test_text_logs_are_the_default_and_readable(tmp_path):
    result = _run(tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    assert " WARNING access [req-404] GET <unmatched> 404 " in lines[0]
    assert " INFO access [req-200] GET /health/ 200 " in lines[2]


@pytest.mark.parametrize("value", ["xml", "JSONL"])
def test_an_unknown_log_format_refuses_to_start(tmp_path, value):
    result = _run(tmp_path, LOG_FORMAT=value)

    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json" in result.stderr
