"""https endpoints: the request connects to the checked address yet verifies the
certificate against the URL's host name (SNI and hostname check), with a real TLS server
on loopback and a certificate made for the test (trusted through SSL_CERT_FILE)."""

import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from webhooks import transport
from webhooks.tests.conftest import serve_in_port_range

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")

HOST = "hooks.partner.test"


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for HOST (its own CA), and its key."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={HOST}",
            "-addext", f"subjectAltName=DNS:{HOST}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(certificate):
    cert, key = certificate
    seen = {"sni": [], "hosts": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen["hosts"].append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    server = serve_in_port_range(
        Handler, wrap=lambda sock: context.wrap_socket(sock, server_side=True)
    )
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port, seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def resolves_to_loopback(settings, fake_dns):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    fake_dns({HOST: ["127.0.0.1"], "other.partner.test": ["127.0.0.1"]})


def test_https_is_verified_against_the_urls_host_while_connecting_to_its_address(
    tls_server, certificate, resolves_to_loopback, monkeypatch
):
    port, seen = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))

    answer = transport.post(f"https://{HOST}:{port}/in", body=b"{}", headers={})

    assert (answer.outcome, answer.status, answer.body) == ("delivered", 200, b"ok")
    assert seen["sni"] == [HOST]
    assert seen["hosts"] == [f"{HOST}:{port}"]


def test_a_certificate_of_another_name_is_refused(
    tls_server, certificate, resolves_to_loopback, monkeypatch
):
    port, seen = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))

    answer = transport.post(f"https://other.partner.test:{port}/in", body=b"{}", headers={})

    assert answer.outcome == "failed"
    assert answer.error.startswith("TLS error:"), answer.error
    assert seen["hosts"] == []


def test_a_certificate_nobody_vouches_for_is_refused(tls_server, resolves_to_loopback):
    port, seen = tls_server

    answer = transport.post(f"https://{HOST}:{port}/in", body=b"{}", headers={})

    assert answer.outcome == "failed"
    assert "certificate verify failed" in answer.error, answer.error
    assert seen["hosts"] == []
