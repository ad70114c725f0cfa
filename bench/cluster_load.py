"""Throughput and p99 of the product list through nginx, with one app instance and with
two: deploy/local-cluster.sh brings the cluster up (anonymous throttle lifted), wrk loads
`GET /api/v1/products/` through nginx with both instances in its upstream, then with only
instance A (the rendered nginx config loses B's line and nginx reloads), and the cluster
goes down again.

    python bench/cluster_load.py [--seconds 15] [--connections 32] [--port-base 18660]

Needs wrk (`apt-get install wrk`). Anonymous product lists are answered from the shared
Redis cache after the first request, so this measures the stack (nginx, gunicorn's ASGI
worker, Django's middleware, Redis), which is what scaling the instances multiplies.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "deploy" / "local-cluster.sh"
PATH = "/api/v1/products/"


def wrk(url: str, *, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        [
            shutil.which("wrk") or "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", out, flags=re.M)
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * factor,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "none",
    }


def cpu_seconds() -> float:
    """CPU time the whole machine spent busy so far (user + system, all cores)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system = (int(v) for v in fields[:3])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


def measure(label: str, url: str, args) -> None:
    # Warm up: caches, connections, each worker's first request.
    wrk(url, seconds=2, connections=args.connections)
    started_cpu, started = cpu_seconds(), time.monotonic()
    result = wrk(url, seconds=args.seconds, connections=args.connections)
    busy = (cpu_seconds() - started_cpu) / (time.monotonic() - started)
    print(
        f"RESULT {label}: rps={result['rps']:.0f} p99_ms={result['p99_ms']:.1f}"
        f" non2xx={result['non_2xx']} socket_errors={result['socket_errors']}"
        f" cpu_busy={busy:.2f}/{os.cpu_count()} cores",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port-base", type=int, default=18660)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1

    parent = Path(tempfile.mkdtemp(prefix="marketplace-load-"))
    parent.chmod(0o755)  # the postgres user runs PostgreSQL in it
    directory = parent / "cluster"
    env = {
        **os.environ,
        "CLUSTER_DIR": str(directory),
        "CLUSTER_PORT_BASE": str(args.port_base),
        "CLUSTER_APP_WORKERS": str(args.workers),
        "CLUSTER_SEED_PRODUCTS": "200",
        "CLUSTER_EXTRA_ENV": "THROTTLE_ANON=100000000/min API_RESPONSE_TIMES=False",
    }
    nginx_port = args.port_base + 5
    url = f"http://127.0.0.1:{nginx_port}{PATH}"
    subprocess.run([SCRIPT, "up"], env=env, check=True)
    try:
        urllib.request.urlopen(url, timeout=10).read()
        measure(f"two instances x {args.workers} workers", url, args)

        site = directory / "nginx" / "marketplace.conf"
        port_b = args.port_base + 4
        site.write_text(
            re.sub(rf"^\s*server 127\.0\.0\.1:{port_b} .*\n", "", site.read_text(), flags=re.M)
        )
        conf = directory / "nginx" / "nginx.conf"
        subprocess.run(
            [
                shutil.which("nginx") or "/usr/sbin/nginx",
                "-c",
                str(conf),
                "-p",
                str(directory / "nginx"),
                "-s",
                "reload",
            ],
            check=True,
        )
        time.sleep(2)  # the old nginx workers finish and leave
        measure(f"one instance x {args.workers} workers", url, args)
    finally:
        subprocess.run([SCRIPT, "down"], env=env, check=False)
        shutil.rmtree(parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
