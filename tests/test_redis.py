"""With REDIS_URL set, the cache and the sessions live in Redis (a real server, as in production)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def cache_and_sessions(**env) -> list[str]:
    """The cache backend and session engine the settings choose in a fresh process with ``env``."""
    code = "from crm import settings as s; print(s.CACHES['default']['BACKEND'], s.SESSION_ENGINE)"
    base = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "SECRET_KEY": "x", "DEBUG": "0", **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return result.stdout.split()


def test_redis_url_switches_cache_and_sessions_to_redis():
    assert cache_and_sessions(REDIS_URL=REDIS_URL) == [
        "django_redis.cache.RedisCache",
        "django.contrib.sessions.backends.cache",
    ]


def test_without_redis_url_the_cache_is_local_and_sessions_in_the_database():
    assert cache_and_sessions() == [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.contrib.sessions.backends.db",
    ]


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "redis": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    cache = caches["redis"]
    try:
        cache.get("ping")
    except Exception as error:  # any connection failure: no server here
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    return cache


def test_a_value_round_trips_through_redis(redis_cache):
    key = f"crm-test-{uuid.uuid4()}"
    redis_cache.set(key, {"amount": "12.50"}, timeout=30)
    assert redis_cache.get(key) == {"amount": "12.50"}
    redis_cache.delete(key)


def test_a_signed_in_session_lives_in_redis(client, rep, settings, redis_cache):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.SESSION_CACHE_ALIAS = "redis"
    client.force_login(rep)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert redis_cache.get(f"django.contrib.sessions.cache{session_key}") is not None
    assert client.get("/").status_code == 200
