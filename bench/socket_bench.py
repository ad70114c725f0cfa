#!/usr/bin/env python
"""Conversation socket benchmark: N connected sockets, each receiving messages posted over
REST; reports delivery latency (POST sent -> event received) p50/p99, lost events and the
server's memory per socket.

    python bench/socket_bench.py --sockets 500 --rounds 2            # in-memory layer
    REDIS_URL=redis://127.0.0.1:6379/9 python bench/socket_bench.py  # Redis channel layer

It builds its own SQLite database in a temporary folder (N customers, each with a
conversation with one store), starts the ASGI app with daphne on a free loopback port with
DEBUG off, opens the N sockets with the `websockets` client, measures the server's RSS
before and after, then the store's owner posts one message into every conversation per
round over HTTP (from a thread pool, 16 at a time) and each socket waits for its events.
"""

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _environment(folder: Path) -> dict:
    env = {
        **os.environ,
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "PAYMENT_PROVIDERS": "stripe",
        # A benchmark posts hundreds of messages a second as one user.
        "THROTTLE_MESSAGES": "1000000/min",
        "THROTTLE_USER": "1000000/min",
        "JWT_ACCESS_MINUTES": "60",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
    }
    return env


SETUP = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from rest_framework_simplejwt.tokens import AccessToken
from accounts.models import User
from conversations.models import Conversation
from stores.models import Store
n = int(sys.argv[1])
owner = User.objects.create_user("bench-owner@example.com", None, is_seller=True)
store = Store.objects.create(owner=owner, kind="brand", name="Bench Store", slug="bench-store",
                             status="approved", contact_email=owner.email)
customers = User.objects.bulk_create(
    [User(email=f"bench{i:05d}@example.com") for i in range(n)])
conversations = Conversation.objects.bulk_create(
    [Conversation(customer=c, store=store) for c in customers])
print(json.dumps({
    "owner": str(AccessToken.for_user(owner)),
    "sockets": [[str(conv.pk), str(AccessToken.for_user(c))]
                for conv, c in zip(conversations, customers)],
}))
"""


def _setup(env: dict, sockets: int) -> dict:
    output = subprocess.run(
        [sys.executable, "-c", SETUP, str(sockets)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not come up")


def _post(port: int, owner_token: str, conversation_id: str, body: str, sent_at: dict) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/conversations/{conversation_id}/messages/",
        data=json.dumps({"body": body}).encode(),
        headers={"Authorization": f"Bearer {owner_token}", "Content-Type": "application/json"},
        method="POST",
    )
    # When the request really leaves (not when it was queued for a thread).
    sent_at[body] = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


async def _run(port: int, data: dict, rounds: int, server_pid: int, concurrency: int) -> dict:
    import websockets

    rss_before = _rss_kib(server_pid)
    clients = []
    for _conversation_id, token in data["sockets"]:
        clients.append(
            await websockets.connect(
                f"ws://127.0.0.1:{port}/ws/v1/conversations/?token={token}",
                max_queue=None,
                open_timeout=30,
            )
        )
    await asyncio.sleep(1)
    rss_after = _rss_kib(server_pid)

    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    expected = len(clients) * rounds

    async def listen(client):
        received = 0
        while received < rounds:
            try:
                raw = await asyncio.wait_for(client.recv(), timeout=60)
            except TimeoutError:
                return
            event = json.loads(raw)
            if event.get("type") != "message.created":
                continue
            body = event["message"]["body"]
            latencies.append(time.perf_counter() - sent_at[body])
            received += 1

    listeners = [asyncio.create_task(listen(client)) for client in clients]
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        posts = []
        for number in range(rounds):
            for conversation_id, _token in data["sockets"]:
                body = f"bench {number} {conversation_id}"
                posts.append(
                    loop.run_in_executor(
                        pool, _post, port, data["owner"], conversation_id, body, sent_at
                    )
                )
        statuses = await asyncio.gather(*posts)
    await asyncio.gather(*listeners)
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.close()
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    return {
        "sockets": len(clients),
        "messages": expected,
        "posts_ok": sum(1 for code in statuses if code == 201),
        "delivered": len(latencies),
        "lost": expected - len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(percentile(0.99), 1) if latencies else None,
        "posts_per_s": round(expected / elapsed, 1),
        "rss_before_mib": round(rss_before / 1024, 1),
        "rss_after_mib": round(rss_after / 1024, 1),
        "kib_per_socket": round((rss_after - rss_before) / max(len(clients), 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--concurrency", type=int, default=16, help="POSTs in flight at once (default 16)"
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="socket-bench-"))
    env = _environment(folder)
    port = _free_port()
    server = None
    try:
        data = _setup(env, args.sockets)
        daphne = shutil.which("daphne", path=str(Path(sys.executable).parent)) or "daphne"
        server = subprocess.Popen(
            [daphne, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(folder / "server.log", "w"),  # noqa: SIM115  (closed with the folder)
        )
        _wait_until_up(port)
        result = asyncio.run(_run(port, data, args.rounds, server.pid, args.concurrency))
        layer = "redis" if os.environ.get("REDIS_URL") else "in-memory"
        print(
            f"RESULT layer={layer} concurrency={args.concurrency} "
            + " ".join(f"{k}={v}" for k, v in result.items())
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        log = folder / "server.log"
        if log.exists() and "Traceback" in log.read_text():
            print(log.read_text()[-4000:], file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
