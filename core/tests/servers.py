"""Real servers for the tests that need one: a free port, a throwaway redis-server and
gunicorn serving this project, each stopped by the test that started it.

Ports come from TEST_PORT_RANGE ("18550-18599" unless set), so that test runs sharing a
machine can be given ranges that do not overlap.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORT_RANGE = "18550-18599"


def port_range() -> range:
    low, _, high = os.environ.get("TEST_PORT_RANGE", DEFAULT_PORT_RANGE).partition("-")
    return range(int(low), int(high) + 1)


# Ports this process has handed out. A test often asks for two ports before it starts
# anything on either, and a probe alone would then answer the same free port twice.
_handed_out: set[int] = set()


def free_port() -> int:
    """A port of TEST_PORT_RANGE nothing listens on now and this process has not handed out
    before (until every port of the range has been)."""
    ports = list(port_range())
    random.shuffle(ports)
    if _handed_out.issuperset(ports):
        _handed_out.difference_update(ports)
    for port in ports:
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in TEST_PORT_RANGE {ports[0]}-{ports[-1]}")


def wait_until(condition, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not met within {timeout} s")


REDIS_SERVER = shutil.which("redis-server")


class RedisServer:
    """A redis-server of its own on a free port, in memory only (nothing saved), which a
    test stops, starts again on the same port, freezes (SIGSTOP: it accepts connections
    but answers nothing, like a hung Redis) and thaws."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)

    def start(self) -> "RedisServer":
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--loglevel", "warning"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(self._answers, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)  # a frozen process cannot act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


def database_url() -> str:
    """The URL of the database the tests run on (PostgreSQL), for a server started against it."""
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


def production_environment(**overrides) -> dict:
    """The environment of a server started the way production starts it (DEBUG off)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GUNICORN_", "PROMETHEUS_MULTIPROC_DIR"))
    }
    env.update(
        {
            "DEBUG": "False",
            "SECRET_KEY": "test-server-" + "k" * 50,
            "JWT_SIGNING_KEY": "test-server-jwt-" + "j" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "False",
            "PAYMENT_PROVIDERS": "stripe",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("REDIS_URL", None)
    env.update(overrides)
    return env


class GunicornServer:
    """gunicorn with the project's config (config/gunicorn.py) on a free loopback port."""

    def __init__(self, *, env: dict, log_path: Path, port: int | None = None):
        self.port = port or free_port()
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 30) -> "GunicornServer":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [str(gunicorn), "-c", str(ROOT / "config" / "gunicorn.py")],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._answers, timeout=timeout, interval=0.2, what="gunicorn /health/")
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {self.log_path}")
        try:
            with urllib.request.urlopen(self.base_url + "/health/", timeout=2) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def worker_pids(self) -> list[int]:
        """The master's children: its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        self._log.close()
