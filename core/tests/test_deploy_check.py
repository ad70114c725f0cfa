"""Production settings pass Django's deployment checklist, and refuse to start unsafely."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "False",
    "SECRET_KEY": "k7#Qp2!vZ9x@Lm4$Rt8^Wb1&Nc6*Hy3(Jd5)Fs0-Ge+Ua_Ow=Ti~Pk",
    "JWT_SIGNING_KEY": "Jw7!Xq2@Pz9#Lr4$Vm8%Tb1^Nc6&Hd3*Ks5(Fy0)Ga-Ue+Wo=Ri",
    "ALLOWED_HOSTS": "api.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://api.example.com",
    # Only named: the checks do not connect to it.
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _manage(*args, env):
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "SECRET_KEY",
            "JWT_SIGNING_KEY",
            "ALLOWED_HOSTS",
            "PAYMENT_PROVIDERS",
            "PAYOUT_PROVIDER",
            "PAYMENTS_ALLOW_FAKE_PROVIDER_UNSAFE",
            "REDIS_URL",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


NO_DOTENV = pytest.mark.skipif(
    (BASE_DIR / ".env").exists(), reason="a local .env may set the secrets"
)


@NO_DOTENV
def test_production_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@NO_DOTENV
def test_production_refuses_to_start_without_a_separate_jwt_signing_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "JWT_SIGNING_KEY"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must be set" in result.stderr


@NO_DOTENV
def test_with_no_environment_debug_is_off_and_the_secrets_are_required():
    result = _manage("check", env={})

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@NO_DOTENV
def test_with_debug_off_no_jwt_key_is_derived_from_the_secret_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "JWT_SIGNING_KEY"}

    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print('key', settings.SIMPLE_JWT['SIGNING_KEY'])",
        env=env,
    )

    assert result.returncode != 0
    assert "key" not in result.stdout
    assert "JWT_SIGNING_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"PAYMENT_PROVIDERS": "fake,stripe"}, "fake payment provider"),
        ({"PAYOUT_PROVIDER": "fake"}, "fake payout provider"),
    ],
)
def test_production_refuses_to_start_with_a_fake_provider(extra, message):
    result = _manage("check", env={**PRODUCTION_ENV, **extra})

    assert result.returncode != 0
    assert message in result.stderr


def test_a_staging_opt_in_starts_but_fails_the_deployment_checklist():
    env = {
        **PRODUCTION_ENV,
        "PAYMENT_PROVIDERS": "fake,stripe",
        "PAYMENTS_ALLOW_FAKE_PROVIDER_UNSAFE": "True",
    }

    plain = _manage("check", env=env)
    deploy = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert plain.returncode == 0, plain.stderr
    assert deploy.returncode != 0
    assert "core.W001" in deploy.stdout + deploy.stderr


def test_the_checklist_warns_when_each_process_would_cache_on_its_own():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "REDIS_URL"}

    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "core.W002" in result.stdout + result.stderr
    assert "REDIS_URL is not set" in result.stdout + result.stderr


def test_the_default_providers_follow_debug():
    on = _manage("shell", "--no-imports", "-c", SHOW_PROVIDERS, env={"DEBUG": "True"})
    off = _manage("shell", "--no-imports", "-c", SHOW_PROVIDERS, env=PRODUCTION_ENV)

    assert on.stdout.split() == ["fake,stripe", "fake"]
    assert off.stdout.split() == ["stripe", "stripe"]


SHOW_PROVIDERS = (
    "from django.conf import settings; "
    "print(','.join(settings.PAYMENT_PROVIDERS), settings.PAYOUT_PROVIDER)"
)
