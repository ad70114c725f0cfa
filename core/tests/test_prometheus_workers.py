"""/metrics under gunicorn with several workers: every scrape, whichever worker answers
it, reports the requests of all of them (prometheus_client's multiprocess mode, set up by
config/gunicorn.py)."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.tests.servers import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
TOKEN = "workers-test-token"
REQUESTS = 60


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left over from a previous run")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_LOGLEVEL": "warning",
        "LOG_LEVEL": "ERROR",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py"],
        cwd=BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/metrics", TOKEN)[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start: {process.stderr.read().decode()}")
            time.sleep(0.2)
        yield base, metrics_dir
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _not_found_count(text: str) -> float:
    pattern = (
        r'^django_http_responses_total_by_status_view_method_total\{method="GET",'
        r'status="404",view="<unnamed view>"\} (\S+)$'
    )
    match = re.search(pattern, text, flags=re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_every_scrape_sums_the_requests_of_every_worker(gunicorn):
    base, metrics_dir = gunicorn

    # Concurrent callers, so that both workers answer some of them.
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: _get(f"{base}/nowhere")[0], range(REQUESTS)))
    scrapes = [_get(f"{base}/metrics", TOKEN) for _ in range(8)]

    assert set(statuses) == {404}
    assert {status for status, _ in scrapes} == {200}
    assert {_not_found_count(text) for _, text in scrapes} == {float(REQUESTS)}
    # One value file per worker and metric type, and the stale file of a previous run gone.
    pids = {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("counter_*.db")}
    assert len(pids) >= 2
    assert "999999" not in pids
