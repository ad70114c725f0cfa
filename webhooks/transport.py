"""One webhook request, sent only where it is safe to send it.

The rule (SSRF): an endpoint's URL is http or https, carries no credentials, and every
address its host resolves to is public (`ipaddress` `is_global`), unless
WEBHOOK_ALLOW_PRIVATE_TARGETS is on (local development, the tests' local server). It is
checked when the endpoint is saved and again before every request, because what a name
resolves to can change between the two; the request then connects to the very address
that was checked (a pool opened on the IP, the name sent as the Host header and, for TLS,
as the SNI name the certificate must match), so a second lookup cannot swap it. Redirects
are never followed (a 3xx is a failed attempt), and every request is bounded by
WEBHOOK_CONNECT_TIMEOUT and WEBHOOK_READ_TIMEOUT.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

# Of an answer's body, what is kept for the delivery log.
RESPONSE_BODY_MAX_BYTES = 1024


class UnsafeTarget(Exception):
    """The URL may not be called; the message says why, in a sentence for staff."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL, lower-case, without the brackets of an IPv6 literal
    port: int
    path: str  # path and query, what the request line carries
    addresses: tuple[str, ...]  # every address the host resolved to, all checked

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Answer:
    """What one attempt came to. `outcome`: delivered (2xx), failed (any other answer, a
    refused connection, a TLS error), timeout, blocked (the target is not allowed)."""

    outcome: str
    status: int | None = None
    body: bytes = b""
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == "delivered"


def _parse(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"The URL is not valid ({exc}).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeTarget("Only http and https URLs can receive webhooks.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("The URL must not carry a user name or password.")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("The URL has no host.")
    if (
        scheme != "https"
        and settings.WEBHOOK_REQUIRE_HTTPS
        and not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    ):
        raise UnsafeTarget("The URL must use https.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), path


def is_public_address(address: str) -> bool:
    """Whether `address` is on the public internet: not loopback, private, link-local
    (169.254.169.254, the cloud metadata service), shared, reserved or multicast; an
    IPv4-mapped IPv6 address is judged by its IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeTarget(f"The host {host} does not resolve.") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeTarget(f"The host {host} does not resolve.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            if not is_public_address(address):
                raise UnsafeTarget(
                    f"The host {host} resolves to {address}, which is not a public address."
                )
    return addresses


def target_for(url: str) -> Target:
    """The URL checked and resolved; raises UnsafeTarget."""
    scheme, host, port, path = _parse(url)
    return Target(scheme, host, port, path, _resolve(host, port))


def _pool(target: Target, address: str) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOK_CONNECT_TIMEOUT, read=settings.WEBHOOK_READ_TIMEOUT
    )
    if target.scheme == "https":
        # The connection goes to the checked address; the certificate must still be the
        # host's (SNI and hostname verification against the name, not the IP).
        return urllib3.HTTPSConnectionPool(
            address,
            port=target.port,
            timeout=timeout,
            maxsize=1,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(
        address, port=target.port, timeout=timeout, maxsize=1, retries=False
    )


def _read_capped(response, deadline: float) -> bytes:
    """At most RESPONSE_BODY_MAX_BYTES of the body, read until the deadline: a server that
    sends a large or endless body, or drips it, costs nothing more."""
    data = b""
    try:
        while len(data) < RESPONSE_BODY_MAX_BYTES and time.monotonic() < deadline:
            chunk = response.read1(RESPONSE_BODY_MAX_BYTES - len(data))
            if not chunk:
                break
            data += chunk
    except (HTTPError, OSError):
        pass  # the status is what counts; the body is only kept for the log
    return data


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` once, safely (see the module); never raises."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = target_for(url)
    except UnsafeTarget as exc:
        return Answer("blocked", error=f"Not sent: {exc}", duration_ms=elapsed())
    headers = {**headers, "Host": target.host_header}
    deadline = started + settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_READ_TIMEOUT
    failure = Answer("failed", error="No address to connect to.")
    for address in target.addresses:
        pool = _pool(target, address)
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                release_conn=False,
            )
        except NewConnectionError as exc:
            # Refused or unreachable: the host's next address may answer.
            failure = Answer("failed", error=f"Could not connect to {address}: {_reason(exc)}")
            pool.close()
            continue
        except ConnectTimeoutError:
            failure = Answer("timeout", error=f"Timed out connecting to {address}.")
            pool.close()
            continue
        except ReadTimeoutError:
            pool.close()
            return Answer(
                "timeout", error="Timed out waiting for the answer.", duration_ms=elapsed()
            )
        except SSLError as exc:
            pool.close()
            return Answer("failed", error=f"TLS error: {_reason(exc)}", duration_ms=elapsed())
        except (HTTPError, OSError) as exc:
            pool.close()
            return Answer("failed", error=f"Request failed: {_reason(exc)}", duration_ms=elapsed())
        try:
            data = _read_capped(response, deadline)
        finally:
            response.close()
            pool.close()
        return _classify(response, data, elapsed())
    return Answer(failure.outcome, error=failure.error, duration_ms=elapsed())


def _classify(response, data: bytes, duration_ms: int) -> Answer:
    status = response.status
    if 200 <= status < 300:
        return Answer("delivered", status=status, body=data, duration_ms=duration_ms)
    if 300 <= status < 400:
        location = response.headers.get("Location", "")[:300]
        to = f" (to {location})" if location else ""
        error = f"HTTP {status}: redirects are not followed{to}."
    else:
        error = f"HTTP {status}."
    return Answer("failed", status=status, body=data, error=error, duration_ms=duration_ms)


def _reason(exc: BaseException) -> str:
    return str(exc)[:300] or type(exc).__name__
