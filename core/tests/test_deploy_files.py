"""The deployment files in deploy/ say what they should: the compose file parses and has
every service (one beat), the systemd units and the Dockerfile run commands that exist, and
PgBouncer pools by transaction. Docker cannot run here; the cluster test
(test_cluster.py) runs the same pieces on this machine."""

import configparser
import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = ROOT / ".venv" / "bin"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


def assert_runs_the_project(command: list[str]) -> None:
    """`gunicorn -c config/gunicorn.py` or `celery -A config ...`, with files that exist."""
    program = Path(command[0]).name
    assert (VENV_BIN / program).exists(), f"{program} is not installed by requirements.txt"
    if program == "gunicorn":
        assert command[1:3] == ["-c", "config/gunicorn.py"]
        assert (ROOT / "config" / "gunicorn.py").exists()
    elif program == "celery":
        assert command[1:3] == ["-A", "config"]
        assert (ROOT / "config" / "celery.py").exists()
        assert command[3] in ("worker", "beat")
    else:
        raise AssertionError(f"unexpected program {program}")


def test_compose_has_every_service_and_publishes_only_nginx():
    services = compose()["services"]

    assert set(services) == {"postgres", "redis", "app1", "app2", "worker", "beat", "nginx"}
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert published == {"nginx": ["8080:80"]}


def test_compose_runs_two_instances_a_worker_and_exactly_one_beat():
    services = compose()["services"]

    for name in ("app1", "app2", "worker", "beat"):
        assert_runs_the_project(services[name]["command"])
        environment = services[name]["environment"]
        assert environment["DEBUG"] == "False"
        # Every instance shares the state that matters: one database, one Redis.
        assert environment["DATABASE_URL"].endswith("@postgres:5432/marketplace")
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    beats = [name for name, s in services.items() if "beat" in s.get("command", [])]
    assert beats == ["beat"]
    assert "deploy" not in services["beat"] or services["beat"]["deploy"].get("replicas", 1) == 1


def test_compose_files_it_mounts_and_builds_exist():
    services = compose()["services"]

    build = services["app1"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve().exists()
    source = services["nginx"]["volumes"][0].split(":")[0]
    assert (DEPLOY / source).exists()


def test_the_dockerfile_runs_gunicorn_as_a_user_that_is_not_root():
    text = (DEPLOY / "Dockerfile").read_text()

    users = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert 'CMD ["gunicorn", "-c", "config/gunicorn.py"]' in text


def test_systemd_units_run_commands_that_exist():
    for name in ("marketplace@.service", "marketplace-celery.service", "marketplace-beat.service"):
        service = unit(name)["Service"]
        command = shlex.split(service["ExecStart"])
        assert command[0].startswith("/srv/marketplace/.venv/bin/")
        assert_runs_the_project(command)
        assert service["WorkingDirectory"] == "/srv/marketplace"
        assert service["User"] != "root"


def test_instances_are_a_template_per_port_and_beat_is_one_unit():
    instance = unit("marketplace@.service")["Service"]
    beat = unit("marketplace-beat.service")

    assert "GUNICORN_BIND=127.0.0.1:%i" in instance["Environment"]
    assert "%i" not in (DEPLOY / "systemd" / "marketplace-beat.service").read_text()
    assert shlex.split(beat["Service"]["ExecStart"])[3] == "beat"


def test_pgbouncer_pools_by_transaction():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string((DEPLOY / "pgbouncer" / "pgbouncer.ini").read_text())

    assert parser["pgbouncer"]["pool_mode"] == "transaction"
    assert "marketplace" in parser["databases"]
