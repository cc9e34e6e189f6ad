"""Production refuses unsafe settings; development works with no configuration at all."""

import os
import subprocess
import sys

import pytest

CHECK = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"


def run(env):
    base = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY", "GUICHET_ENV"}}
    base.update(env, DJANGO_SETTINGS_MODULE="guichet.settings")
    return subprocess.run([sys.executable, "-c", CHECK], env=base, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "env,message",
    [
        ({"GUICHET_ENV": "production", "DEBUG": "1", "SECRET_KEY": "x" * 50}, "DEBUG"),
        ({"GUICHET_ENV": "production"}, "SECRET_KEY"),
        ({"GUICHET_ENV": "production", "SECRET_KEY": "short"}, "SECRET_KEY"),
    ],
)
def test_production_refuses_unsafe_settings(env, message):
    result = run(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_production_starts_with_its_own_secret_key():
    result = run({"GUICHET_ENV": "production", "SECRET_KEY": "a-real-secret-key-of-sufficient-length-0123456789"})
    assert result.returncode == 0, result.stderr


def test_sqlite_is_the_default_database(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="guichet.settings", GUICHET_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "django.db.backends.sqlite3"
