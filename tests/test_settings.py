import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from crm.env import env_bool, env_int, env_list, env_str


def test_booleans_are_read_strictly(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", True) is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_integers_fail_loudly(monkeypatch):
    monkeypatch.setenv("NUMBER", "12")
    assert env_int("NUMBER", 1) == 12
    monkeypatch.setenv("NUMBER", "twelve")
    with pytest.raises(ImproperlyConfigured, match="NUMBER"):
        env_int("NUMBER", 1)


def test_a_required_string_must_be_set(monkeypatch):
    monkeypatch.delenv("MISSING_THING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="MISSING_THING"):
        env_str("MISSING_THING")
    assert env_str("MISSING_THING", "fallback") == "fallback"


def test_lists_split_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_the_settings_refuse_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "-c", "import crm.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_a_postgresql_connection_is_checked_before_reuse_so_a_database_restart_is_no_error():
    env = {**os.environ, "DATABASE_URL": "postgres://crm@db.example:5432/crm", "DB_CONN_MAX_AGE": "60"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from crm.settings import DATABASES; d = DATABASES['default'];"
            "print(d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "60", "True"]


def test_integers_below_their_minimum_fail_loudly(monkeypatch):
    monkeypatch.setenv("MINUTES", "0")
    with pytest.raises(ImproperlyConfigured, match="MINUTES='0' must be at least 1"):
        env_int("MINUTES", 15, minimum=1)
    monkeypatch.setenv("MINUTES", "1")
    assert env_int("MINUTES", 15, minimum=1) == 1
