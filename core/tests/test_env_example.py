"""`.env.example` documents every variable the settings and the gunicorn config read."""

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
READERS = [BASE_DIR / "config" / "settings.py", BASE_DIR / "config" / "gunicorn.py"]
READ_PATTERN = re.compile(r"""(?:\bconfig|os\.environ\.get|os\.getenv)\(\s*["']([A-Z0-9_]+)["']""")


def _variables_read() -> set[str]:
    return {name for path in READERS for name in READ_PATTERN.findall(path.read_text())}


def _variables_documented() -> set[str]:
    text = (BASE_DIR / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_the_settings_read_the_variables_we_expect():
    # Guards the pattern itself: if it found nothing, the next test could not fail.
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "GUNICORN_WORKERS"} <= _variables_read()


def test_env_example_documents_every_variable_read():
    missing = _variables_read() - _variables_documented()

    assert not missing, f"add to .env.example: {sorted(missing)}"
