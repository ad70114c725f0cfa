"""deploy/nginx/marketplace.conf is valid for nginx, and in front of the sync workers that
slow clients starve on their own (test_slow_clients.py) it keeps /health/ answering: nginx
buffers the trickling bodies and the workers never see them. Skipped without nginx and
openssl on PATH."""

import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest

from core.tests.servers import ROOT, GunicornServer, free_port, production_environment, wait_until

pytestmark = pytest.mark.skipif(
    not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx or openssl missing"
)

CONFIG = ROOT / "deploy" / "nginx" / "marketplace.conf"
SLOW_CLIENTS = 8


def _site(tmp_path, *, https_port: int, http_port: int, upstream: str) -> str:
    """The shipped config with only its machine-specific parts replaced: certificate and
    project paths, listening ports, the instances."""
    text = CONFIG.read_text()
    text = text.replace("/etc/ssl/marketplace/", f"{tmp_path}/")
    text = text.replace("/srv/marketplace/", f"{tmp_path}/srv/")
    text = re.sub(r"^\s*listen \[::\].*\n", "", text, flags=re.MULTILINE)
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl;")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = re.sub(
        r"(^\s*server 10\.0\.0\.\d+:8000 .*\n)+", f"    server {upstream};\n", text, flags=re.M
    )
    return text


def _nginx_config(tmp_path, site: str) -> str:
    (tmp_path / "srv" / "staticfiles").mkdir(parents=True)
    (tmp_path / "srv" / "media").mkdir()
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(tmp_path / "privkey.pem")),
            *("-out", str(tmp_path / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
    )
    (tmp_path / "marketplace.conf").write_text(site)
    wrapper = tmp_path / "nginx.conf"
    wrapper.write_text(
        f"""
user root;
worker_processes 1;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/marketplace.conf;
}}
"""
    )
    return str(wrapper)


def test_the_shipped_config_passes_nginx_t(tmp_path):
    site = _site(tmp_path, https_port=free_port(), http_port=free_port(), upstream="127.0.0.1:1")
    wrapper = _nginx_config(tmp_path, site)

    result = subprocess.run(
        ["nginx", "-t", "-c", wrapper, "-p", str(tmp_path)], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def _health_over_tls(port: int, timeout: float) -> float | None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    started = time.monotonic()
    try:
        with urllib.request.urlopen(
            f"https://127.0.0.1:{port}/health/", timeout=timeout, context=context
        ) as response:
            assert response.status == 200
    except TimeoutError:
        return None
    return time.monotonic() - started


def test_nginx_buffers_slow_clients_so_they_never_reach_the_sync_workers(tmp_path):
    (tmp_path / "metrics").mkdir()
    env = production_environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_WORKER_CLASS="sync",
        GUNICORN_WORKERS="2",
        API_RESPONSE_TIMES="False",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    app = GunicornServer(env=env, log_path=tmp_path / "gunicorn.log").start()
    https_port = free_port()
    site = _site(
        tmp_path, https_port=https_port, http_port=free_port(), upstream=f"127.0.0.1:{app.port}"
    )
    nginx = subprocess.Popen(
        ["nginx", "-c", _nginx_config(tmp_path, site), "-p", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    slow = []
    try:
        wait_until(lambda: _health_over_tls(https_port, 1) is not None, timeout=10, what="nginx")
        for _ in range(SLOW_CLIENTS):
            raw = socket.create_connection(("127.0.0.1", https_port), timeout=5)
            connection = context.wrap_socket(raw)
            connection.sendall(
                b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            )
            slow.append(connection)
        answers = []
        for _ in range(3):
            for connection in slow:
                connection.sendall(b" ")
            answers.append(_health_over_tls(https_port, timeout=2))
            time.sleep(0.5)
    finally:
        for connection in slow:
            connection.close()
        nginx.terminate()
        nginx.wait(timeout=10)
        app.stop()

    assert None not in answers, answers
    assert max(answers) < 2, answers
