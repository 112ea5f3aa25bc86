"""Parallel guesses: the lockout counts each attempt before its password is checked, so twenty
guesses at once check at most ten passwords, on SQLite and PostgreSQL alike."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client

from accounts.models import SignInThrottle
from tests.factories import RepFactory

User = get_user_model()
GUESSES = 20


@pytest.fixture
def counted_password_checks(monkeypatch):
    """Every password check, counted; each takes a little while, as real hashing does."""
    checked = []
    lock = threading.Lock()
    check_password = User.check_password

    def counting(user, raw_password):
        with lock:
            checked.append(raw_password)
        time.sleep(0.02)
        return check_password(user, raw_password)

    monkeypatch.setattr(User, "check_password", counting)
    return checked


def _in_parallel(attempt, count: int) -> list:
    start = threading.Barrier(count)

    def run(n):
        start.wait()
        try:
            return attempt(n)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_bad_passwords_for_one_account_check_at_most_ten(counted_password_checks):
    RepFactory(username="target")

    def guess(n):
        # Each guess from its own address, so only the account's count holds them back.
        client = Client(REMOTE_ADDR=f"10.0.0.{n + 1}")
        return client.post("/accounts/login/", {"username": "target", "password": f"wrong-{n}"}).status_code

    statuses = _in_parallel(guess, GUESSES)

    assert statuses == [200] * GUESSES  # the form again, never a server error
    # Exactly the limit: every counted attempt is checked, and none beyond it.
    assert len(counted_password_checks) == 10
    account = SignInThrottle.objects.get(scope="account", key="target")
    assert account.failures == 10
    assert account.locked_at is not None
    # Even the right password is not checked now.
    checks = len(counted_password_checks)
    response = Client(REMOTE_ADDR="10.0.1.1").post(
        "/accounts/login/", {"username": "target", "password": "pw-for-tests-123"}
    )
    assert "_auth_user_id" not in response.client.session
    assert len(counted_password_checks) == checks


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_bad_passwords_from_one_address_check_at_most_ten(counted_password_checks):
    for n in range(GUESSES):
        RepFactory(username=f"person{n}")

    def guess(n):
        client = Client(REMOTE_ADDR="192.0.2.7")
        return client.post("/api/token/", {"username": f"person{n}", "password": "wrong"}).status_code

    statuses = _in_parallel(guess, GUESSES)

    assert set(statuses) <= {400, 429}
    assert len(counted_password_checks) == 10
    # The ten refused all say why; a checked guess may too, once the count is full.
    assert statuses.count(429) >= GUESSES - 10
    address = SignInThrottle.objects.get(scope="address", key="192.0.2.7")
    assert address.failures == 10
    assert address.locked_at is not None
