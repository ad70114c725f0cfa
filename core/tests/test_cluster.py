"""The scale-out deployment, end to end: deploy/local-cluster.sh brings up a PostgreSQL
primary and its streaming replica, PgBouncer, two app instances, a Celery worker and beat
and nginx on loopback; the checks go through nginx (or straight to one instance where the
check is "through A, seen on B"); then the cluster goes down and nothing of it is left.

Slow (about a minute) and it starts servers: skipped unless CLUSTER_TESTS=1 (CI's cluster
step). CLUSTER_PORT_BASE (default 18640) picks its six ports."""

import http.client
import json
import os
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "local-cluster.sh"
BASE = int(os.environ.get("CLUSTER_PORT_BASE", "18640"))
PRIMARY, REPLICA, APP_A, APP_B, NGINX = BASE, BASE + 1, BASE + 3, BASE + 4, BASE + 5
ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(
        os.environ.get("CLUSTER_TESTS") != "1", reason="starts a whole cluster: CLUSTER_TESTS=1"
    ),
]

# Made in the cluster's database by `manage.py shell` (the factories of the test suite).
PREPARE = """
import json
from decimal import Decimal
from rest_framework_simplejwt.tokens import AccessToken
from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from conversations.tests.factories import ConversationFactory
from orders.tests.factories import fill_cart

token = lambda user: str(AccessToken.for_user(user))
scarce = ProductFactory(stock_quantity=5, price=Decimal("10.00"))
buyers = UserFactory.create_batch(30)
for buyer in buyers:
    fill_cart(buyer, {scarce: 1})
once = UserFactory()
plenty = ProductFactory(stock_quantity=100)
fill_cart(once, {plenty: 1})
priced = ProductFactory(price=Decimal("20.00"))
conversation = ConversationFactory()
login = UserFactory(email="cluster-login@example.com")
login.set_password("Cluster-login-2026")
login.save()
print(json.dumps({
    "scarce": str(scarce.pk),
    "buyers": [token(b) for b in buyers],
    "once": token(once),
    "once_id": str(once.pk),
    "priced": str(priced.pk),
    "seller": token(priced.created_by),
    "conversation": str(conversation.pk),
    "customer": token(conversation.customer),
    "owner": token(conversation.store.owner),
}))
"""


def request(port, method, path, *, token=None, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    try:
        connection.request(
            method, path, body=None if body is None else json.dumps(body), headers=sent
        )
        response = connection.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else None)
    finally:
        connection.close()


def together(calls):
    """Runs every call at once in its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def sql(port, query):
    out = subprocess.run(
        [
            *("psql", "-h", "127.0.0.1", "-p", str(port)),
            *("-U", "postgres", "-d", "marketplace", "-tAc", query),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def cluster_env(directory: Path) -> dict:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(directory)}
    for line in (directory / "env").read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return env


def running(pid: int, *, grace: float = 10) -> bool:
    """Whether the process is alive `grace` seconds from now (a process whose stop was just
    confirmed may take a moment to be reaped; a zombie is not running)."""
    deadline = time.monotonic() + grace
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            return False
        if state in ("Z", "X"):
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster():
    # Not pytest's tmp_path: the postgres user, who runs PostgreSQL, must reach it.
    parent = Path(tempfile.mkdtemp(prefix="marketplace-cluster-"))
    parent.chmod(0o755)
    directory = parent / "run"
    env = {
        **os.environ,
        "CLUSTER_DIR": str(directory),
        "CLUSTER_PORT_BASE": str(BASE),
        "CLUSTER_SEED_PRODUCTS": "10",
    }
    up = subprocess.run([SCRIPT, "up"], env=env, capture_output=True, text=True, timeout=240)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        prepared = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", PREPARE],
            cwd=ROOT,
            env=cluster_env(directory),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert prepared.returncode == 0, prepared.stderr
        data = json.loads(prepared.stdout.strip().splitlines()[-1])
        pids = {
            path.stem: int(path.read_text().split()[0])
            for path in (directory / "run").glob("*.pid")
        }
        yield {"dir": directory, "data": data, "pids": pids}
    finally:
        down = subprocess.run(
            [SCRIPT, "down"], env=env, capture_output=True, text=True, timeout=120
        )
        assert down.returncode == 0, down.stdout + down.stderr
    # Nothing it started is left running, and its directory is gone.
    for name, pid in pids.items() if up.returncode == 0 else ():
        assert not running(pid), f"{name} ({pid}) still running"
    assert not directory.exists()
    parent.rmdir()


def test_every_piece_is_up_and_health_reports_the_replica(cluster):
    status, body = request(NGINX, "GET", "/health/")

    assert status == 200
    assert body["database"] == body["redis"] == body["replica"] == "ok"
    assert sql(REPLICA, "SELECT pg_is_in_recovery()") == "t"
    assert set(cluster["pids"]) >= {
        "postgres-primary",
        "postgres-replica",
        "pgbouncer",
        "app-a",
        "app-b",
        "celery-worker",
        "celery-beat",
        "nginx",
    }


def test_thirty_buyers_race_for_five_units_across_both_instances(cluster):
    data = cluster["data"]
    checkout = {"shipping_address": ADDRESS}

    outcomes = together(
        [
            lambda t=token: request(NGINX, "POST", "/api/v1/orders/", token=t, body=checkout)
            for token in data["buyers"]
        ]
    )

    statuses = sorted(outcome[0] for outcome in outcomes)
    assert statuses.count(201) == 5, outcomes
    assert all(status < 500 for status in statuses), statuses
    assert (
        sql(PRIMARY, f"SELECT stock_quantity FROM catalog_product WHERE id = '{data['scarce']}'")
        == "0"
    )
    orders = sql(
        PRIMARY,
        "SELECT count(DISTINCT o.id) FROM orders_order o"
        " JOIN orders_orderitem i ON i.order_id = o.id"
        f" WHERE i.product_id = '{data['scarce']}'",
    )
    assert orders == "5"


def test_ten_checkouts_with_one_idempotency_key_over_both_instances_make_one_order(cluster):
    data = cluster["data"]
    key = str(uuid.uuid4())

    outcomes = together(
        [
            lambda port=(APP_A if i % 2 else APP_B): request(
                port,
                "POST",
                "/api/v1/orders/",
                token=data["once"],
                body={"shipping_address": ADDRESS},
                headers={"Idempotency-Key": key},
            )
            for i in range(10)
        ]
    )

    assert all(status < 500 for status, _ in outcomes), outcomes
    assert any(status == 201 for status, _ in outcomes), outcomes
    created = {body["id"] for status, body in outcomes if status == 201}
    assert len(created) == 1, outcomes
    assert (
        sql(PRIMARY, f"SELECT count(*) FROM orders_order WHERE user_id = '{data['once_id']}'")
        == "1"
    )


def test_a_price_changed_through_a_is_served_by_b_at_once(cluster):
    data = cluster["data"]
    path = f"/api/v1/products/{data['priced']}/"
    assert request(APP_B, "GET", path)[1]["price"] == "20.00"  # now cached on B

    status, _ = request(APP_A, "PATCH", path, token=data["seller"], body={"price": "12.34"})
    assert status == 200

    assert request(APP_B, "GET", path)[1]["price"] == "12.34"


def test_a_message_posted_through_a_reaches_a_socket_held_on_b(cluster):
    from websockets.sync.client import connect

    data = cluster["data"]
    url = f"ws://127.0.0.1:{APP_B}/ws/v1/conversations/?token={data['owner']}"
    with connect(url, open_timeout=10) as socket:
        time.sleep(0.3)  # the consumer joins its groups after the handshake
        status, message = request(
            APP_A,
            "POST",
            f"/api/v1/conversations/{data['conversation']}/messages/",
            token=data["customer"],
            body={"body": "Across instances?"},
        )
        assert status == 201, message
        event = json.loads(socket.recv(timeout=10))

    assert event["type"] == "message.created"
    assert event["message"]["id"] == message["id"]


def test_a_read_right_after_a_write_sees_it_while_the_replica_is_paused(cluster):
    data = cluster["data"]
    path = f"/api/v1/products/{data['priced']}/"
    sql(REPLICA, "SELECT pg_wal_replay_pause()")
    try:
        status, _ = request(NGINX, "PATCH", path, token=data["seller"], body={"name": "Renamed"})
        assert status == 200
        # The replica really is behind...
        time.sleep(0.2)
        assert (
            sql(REPLICA, f"SELECT name FROM catalog_product WHERE id = '{data['priced']}'")
            != "Renamed"
        )
        # ...yet the writer, on either instance, and anyone reading the cache right after
        # the write, read the new name.
        for port in (APP_A, APP_B, NGINX):
            assert request(port, "GET", path, token=data["seller"])[1]["name"] == "Renamed"
        assert request(NGINX, "GET", path)[1]["name"] == "Renamed"
    finally:
        sql(REPLICA, "SELECT pg_wal_replay_resume()")


def test_the_login_throttle_counts_across_instances(cluster):
    credentials = {"email": "cluster-login@example.com", "password": "Cluster-login-2026"}

    # THROTTLE_LOGIN is 10/min per client address: ten logins alternating A and B pass...
    statuses = [
        request(APP_A if i % 2 else APP_B, "POST", "/api/v1/auth/token/", body=credentials)[0]
        for i in range(10)
    ]
    assert statuses == [200] * 10
    # ...and the eleventh is refused, whichever instance gets it.
    status, body = request(APP_A, "POST", "/api/v1/auth/token/", body=credentials)
    assert status == 429, body
