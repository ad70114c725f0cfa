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
}


def _manage(*args, env):
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "JWT_SIGNING_KEY", "ALLOWED_HOSTS"}
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
