"""A real HTTP server for the webhooks to reach (on a port of TEST_PORT_RANGE), recording
every request it gets and answering as the test tells it; endpoints made through the
service."""

import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.tests.servers import port_range
from webhooks import services
from webhooks.models import SUBSCRIBABLE_EVENTS


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok":true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow receiver)


class Receiver:
    """Records each POST and answers with `reply` (or the next of `replies` while any are
    left)."""

    def __init__(self):
        self.requests: list[Received] = []
        self.reply = Reply()
        self.replies: list[Reply] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    reply = receiver.replies.pop(0) if receiver.replies else receiver.reply
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the sender gave up waiting (a timeout test)

            def log_message(self, *args):
                pass

        self.server = serve_in_port_range(Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> "Receiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def serve_in_port_range(handler, *, wrap=None) -> ThreadingHTTPServer:
    """A server on a port of TEST_PORT_RANGE, bound with SO_REUSEADDR (as the HTTP
    server does): a port whose last connections are still in TIME_WAIT, as after the tests
    before, is free to listen on again, though a plain probe would call it taken."""
    ports = list(port_range())
    random.shuffle(ports)
    for port in ports:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError:
            continue
        server.daemon_threads = True
        if wrap is not None:
            server.socket = wrap(server.socket)
        return server
    raise RuntimeError(f"no free port in TEST_PORT_RANGE {min(ports)}-{max(ports)}")


def closed_port() -> int:
    """A port of TEST_PORT_RANGE that nothing listens on (a receiver that is down)."""
    ports = list(port_range())
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in TEST_PORT_RANGE {min(ports)}-{max(ports)}")


@pytest.fixture(autouse=True)
def _ssrf_rules_as_in_production(settings):
    """The rules whatever the environment says: public addresses only (a test that uses
    the local server turns private targets on), and http allowed, so that each test is
    about the one rule it names (https has a test of its own)."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    settings.WEBHOOK_REQUIRE_HTTPS = False


@pytest.fixture
def private_targets(settings):
    """The local server is on loopback: allowed here, as WEBHOOK_ALLOW_PRIVATE_TARGETS
    allows it in development."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def receiver(private_targets):
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def fast_timeouts(settings):
    settings.WEBHOOK_CONNECT_TIMEOUT = 1.0
    settings.WEBHOOK_READ_TIMEOUT = 0.5


@pytest.fixture
def endpoint_for(db):
    def make(url: str, events=SUBSCRIBABLE_EVENTS, **fields):
        return services.endpoint_create(url=url, events=list(events), **fields)

    return make


@pytest.fixture
def fake_dns(monkeypatch):
    """`fake_dns({"hooks.example.com": ["10.0.0.7"]})`: those names resolve to those
    addresses (others as usual), as a DNS record an attacker controls would."""
    real = socket.getaddrinfo

    def install(records: dict[str, list[str]]):
        def getaddrinfo(host, port, *args, **kwargs):
            if host in records:
                infos = []
                for address in records[host]:
                    family = socket.AF_INET6 if ":" in address else socket.AF_INET
                    sockaddr = (address, port, 0, 0) if ":" in address else (address, port)
                    infos.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
                return infos
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    return install
