"""Fuzz the live API against its own OpenAPI schema with schemathesis.

Creates a fresh database (SQLite in a temporary folder, or the PostgreSQL database named
by FUZZ_DATABASE_URL, which is emptied first), migrates it, seeds a small demo, serves it
with gunicorn on loopback with DEBUG off, and runs `schemathesis run` three times:
anonymous, as the demo customer and as the demo staff user (side by side on PostgreSQL).
Exits non-zero when any run found a failure (a server error, an answer that does not match
the schema, ...).

Run by `.ci/run`; by hand: `.venv/bin/python .ci/fuzz_schema.py`. Settings (environment):

  FUZZ_DATABASE_URL    PostgreSQL database to use (destroyed and recreated); default: SQLite
  FUZZ_PORTS           ports to try for the server, e.g. 18250-18299 (the first free one)
  FUZZ_MAX_EXAMPLES    examples per operation and phase (default 50)
  FUZZ_RUN_SECONDS     hard time bound of the runs (default 150; on PostgreSQL the three
                       roles run side by side within it, on SQLite each has it)
  FUZZ_REPORT_DIR      where the JUnit reports go (default: a temporary folder)

schemathesis is installed from requirements-ci.txt into its own virtualenv (.venv-ci), so
neither it nor its pytest plugin is ever part of the application or its test suite.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
CI_VENV = ROOT / ".venv-ci"
REQUIREMENTS = ROOT / "requirements-ci.txt"

# The one operation that would break the run itself: closing one's own account turns
# every later request of that role into a 401. Everything else, staff writes included
# (they act on fuzzed or freshly created ids), is fuzzed.
EXCLUDED_OPERATIONS = ["users_me_destroy"]

# What fails the run: server errors (ST101) and every way an answer can disagree with the
# schema or the protocol (ST1xx: status code, content type, headers, body; ST203-ST205:
# required headers, undeclared methods, Allow), lost or leaked resources (ST3xx, ST4xx).
# ST201 (a request outside the schema accepted) and ST202 (a schema-valid request refused)
# are reported, not failed: the schema cannot state business rules (an unknown coupon, a
# password too common, a cart that is empty), and the server is lenient where it is safe
# (an empty query parameter means "not given").
REPORTED_ONLY = {"ST201", "ST202"}

ROLES = {
    "anonymous": None,
    "customer": ("customer@example.com", "Demo-customer-2026"),
    "staff": ("staff@example.com", "Demo-staff-2026"),
}


def log(message: str) -> None:
    print(f"[fuzz] {message}", flush=True)


def ensure_schemathesis() -> Path:
    """The schemathesis binary of .venv-ci, (re)installed when requirements-ci.txt changed."""
    binary = CI_VENV / "bin" / "schemathesis"
    stamp = CI_VENV / ".requirements-ci-installed"
    if binary.exists() and stamp.exists() and stamp.read_text() == REQUIREMENTS.read_text():
        return binary
    log(f"installing {REQUIREMENTS.name} into {CI_VENV.name}")
    if not (CI_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(CI_VENV)], check=True)
    subprocess.run(
        [str(CI_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS],
        check=True,
    )
    stamp.write_text(REQUIREMENTS.read_text())
    return binary


def free_port() -> int:
    low, _, high = os.environ.get("FUZZ_PORTS", "18250-18299").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in FUZZ_PORTS={os.environ.get('FUZZ_PORTS')}")


def server_environment(database_url: str, media_root: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN_")}
    env.update(
        {
            # Production settings, relaxed only where loopback needs it.
            "DEBUG": "False",
            "SECRET_KEY": "fuzz-schema-secret-key-" + os.urandom(16).hex(),
            "JWT_SIGNING_KEY": "fuzz-schema-jwt-key-" + os.urandom(16).hex(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "False",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": database_url,
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "",
            "MEDIA_ROOT": str(media_root),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "ERROR",
            "STRIPE_WEBHOOK_SECRET": "whsec_fuzz_" + os.urandom(8).hex(),
            "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_fuzz_connect_" + os.urandom(8).hex(),
            # The fuzzer is one client sending thousands of requests: throttles would
            # answer most of them 429 and hide what the endpoints do.
            "THROTTLE_ANON": "100000/min",
            "THROTTLE_USER": "100000/min",
            "THROTTLE_LOGIN": "100000/min",
            "THROTTLE_REGISTER": "100000/min",
            "THROTTLE_PASSWORD_RESET": "100000/min",
            "THROTTLE_STRIPE_WEBHOOK": "100000/min",
            "THROTTLE_LOGIN_ACCOUNT": "100000/min",
            "THROTTLE_COUPON": "100000/min",
            "THROTTLE_MESSAGES": "100000/min",
            # Generated wrong passwords would lock the fuzzer's own accounts out.
            "LOGIN_FAILURE_LIMIT": "1000000",
            # The fake provider is the one a test run can pay with; Stripe answers
            # "not configured" without keys, which is part of what is checked.
            "PAYMENT_PROVIDERS": "fake,stripe",
            # DEBUG is off, so the fake provider must be allowed by name (loopback only).
            "PAYMENTS_ALLOW_FAKE_PROVIDER_UNSAFE": "True",
        }
    )
    return env


def prepare_database(env: dict) -> None:
    url = env["DATABASE_URL"]
    if url.startswith("postgres"):
        name = url.rsplit("/", 1)[1]
        if name in {"postgres", "test_postgres", "template0", "template1"}:
            raise SystemExit(f"refusing to recreate the shared database {name!r}")
        admin = url.rsplit("/", 1)[0] + "/postgres"
        for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
            subprocess.run(["psql", admin, "-q", "-c", sql], check=True)
    manage = [str(APP_PYTHON), "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "seed_demo", "--products", "50", "--orders", "20"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_server(env: dict, port: int, log_file: Path) -> subprocess.Popen:
    command = [
        str(APP_PYTHON),
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        # SQLite lets one writer in at a time: one worker, one request at a time.
        "--workers",
        "1" if env["DATABASE_URL"].startswith("sqlite") else "4",
        "--timeout",
        "60",
        # No request-line cap of gunicorn's own (4094 bytes, answered 414 in HTML before the
        # app runs): in production the proxy in front sets it (nginx's
        # large_client_header_buffers); here the app's own handling of a huge query is tested.
        "--limit-request-line",
        "0",
        "--error-logfile",
        str(log_file),
    ]
    output = log_file.open("ab")
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, stdout=output, stderr=output
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}); see {log_file}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2):
                return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    stop_server(server)
    raise SystemExit("the server did not answer /health/ within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def access_token(base: str, email: str, password: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access"]


def schemathesis_command(binary: Path, base: str, token: str | None, report: Path) -> list[str]:
    command = [
        str(binary),
        "run",
        f"{base}/api/schema/?format=json",
        "--url",
        base,
        "--checks",
        "all",
        "--max-examples",
        os.environ.get("FUZZ_MAX_EXAMPLES", "50"),
        # One worker: hypothesis' lambda introspection is not thread-safe on Python 3.11
        # ("AST constructor recursion depth mismatch" errors with several workers).
        "--workers",
        "1",
        "--seed",
        "20260101",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    for operation_id in EXCLUDED_OPERATIONS:
        command += ["--exclude-operation-id", operation_id]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    return command


def run_roles(binary: Path, base: str, report_dir: Path, *, parallel: bool) -> dict[str, int]:
    """{role: exit code} of one schemathesis run per role, each with its own output file
    (printed once the run ends, so the roles' outputs never interleave). On PostgreSQL the
    three run side by side, each a separate process with its own user; on SQLite, which
    takes one writer at a time, one after the other."""
    seconds = int(os.environ.get("FUZZ_RUN_SECONDS", "150"))
    tokens = {
        role: access_token(base, *credentials) if credentials else None
        for role, credentials in ROLES.items()
    }
    exit_codes: dict[str, int] = {}

    def start(role: str) -> tuple[subprocess.Popen, Path]:
        output = report_dir / f"{role}.log"
        command = schemathesis_command(binary, base, tokens[role], report_dir / f"{role}.xml")
        log(f"{role}: schemathesis, at most {seconds} s")
        with output.open("wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        return process, output

    def finish(role: str, process: subprocess.Popen, output: Path, deadline: float) -> None:
        try:
            exit_codes[role] = process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            log(f"{role}: still running after {seconds} s: counted as a failure")
            exit_codes[role] = 124
        print(f"\n----- schemathesis as {role} -----", flush=True)
        print(output.read_text(errors="replace"), flush=True)

    if parallel:
        deadline = time.monotonic() + seconds
        running = {role: start(role) for role in ROLES}
        for role, (process, output) in running.items():
            finish(role, process, output, deadline)
    else:
        for role in ROLES:
            process, output = start(role)
            finish(role, process, output, time.monotonic() + seconds)
    return exit_codes


def failure_codes(report: Path) -> dict[str, list[str]]:
    """{check code: [operation, ...]} of every failure in a JUnit report."""
    codes: dict[str, list[str]] = {}
    if not report.exists():
        return codes
    for case in ElementTree.parse(report).iter("testcase"):
        for failure in case.iter("failure"):
            for code in set(re.findall(r"^- (ST\d{3}) ", failure.text or "", re.MULTILINE)):
                codes.setdefault(code, []).append(case.get("name", "?"))
        # An operation schemathesis could not test at all (a network error, a schema it
        # cannot use) counts as a failure.
        for _ in case.iter("error"):
            codes.setdefault("error", []).append(case.get("name", "?"))
    return codes


def main() -> int:
    binary = ensure_schemathesis()
    workdir = Path(tempfile.mkdtemp(prefix="fuzz-schema-"))
    report_dir = Path(os.environ.get("FUZZ_REPORT_DIR") or workdir)
    report_dir.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("FUZZ_DATABASE_URL") or f"sqlite:///{workdir / 'fuzz.sqlite3'}"
    env = server_environment(database_url, workdir / "media")
    server = None
    try:
        log(f"database {database_url.split('@')[-1]}: migrate and seed")
        prepare_database(env)
        port = free_port()
        server = start_server(env, port, workdir / "server.log")
        base = f"http://127.0.0.1:{port}"
        log(f"server at {base}")
        failed = False
        parallel = not database_url.startswith("sqlite")
        exit_codes = run_roles(binary, base, report_dir, parallel=parallel)
        for role, exit_code in exit_codes.items():
            codes = failure_codes(report_dir / f"{role}.xml")
            gating = {code: ops for code, ops in codes.items() if code not in REPORTED_ONLY}
            for code, operations in sorted(codes.items()):
                kind = "reported" if code in REPORTED_ONLY else "FAILURE"
                log(f"{role}: {kind} {code} in {len(operations)}: {', '.join(operations)}")
            # A run that stopped early (timeout, crash) has no trustworthy report.
            role_failed = bool(gating) or exit_code not in (0, 1)
            failed = failed or role_failed
            log(f"{role}: {'FAILED' if role_failed else 'ok'}")
        errors = (workdir / "server.log").read_text()
        if "Traceback" in errors:
            log("the server logged tracebacks:\n" + errors[-5000:])
            failed = True
        return 1 if failed else 0
    finally:
        if server is not None:
            stop_server(server)
        if not os.environ.get("FUZZ_REPORT_DIR"):
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
