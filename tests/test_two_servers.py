"""Two gunicorn instances behind one address share PostgreSQL and Redis: a session, the import
wizard's upload and the sign-in lockout follow the user from one to the other.

Runs on PostgreSQL with REDIS_URL set (the second half of .ci/run); skipped on SQLite.
"""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.factories import ManagerFactory, RepFactory

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pw-for-tests-123"  # the factories' password

pytestmark = [
    pytest.mark.skipif(
        not (settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and settings.REDIS_URL),
        reason="needs PostgreSQL and Redis, as in production",
    ),
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if requests.get(f"{base}/accounts/login/", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not start")


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker):
    """Two app servers (two gunicorn workers each) on the test database and the same Redis."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "0",
    }
    bases, processes = [], []
    try:
        for _ in range(2):
            port = _free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "crm.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            processes.append(process)
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes, strict=True):
            _wait_until_serving(base, process)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def _csrf(session: requests.Session, url: str) -> str:
    html = session.get(url, timeout=10).text
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _sign_in(session: requests.Session, base: str, username: str, password: str) -> requests.Response:
    token = _csrf(session, f"{base}/accounts/login/")
    return session.post(
        f"{base}/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )


def _user(username: str, factory=RepFactory):
    """A user whose password the servers check with their own (production) hasher."""
    user = factory(username=username)
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "two-servers-salt")
    user.save(update_fields=["password"])
    return user


def test_a_session_and_an_upload_started_on_one_server_continue_on_the_other(servers):
    a, b = servers
    _user("roaming", ManagerFactory)  # managers may import
    browser = requests.Session()
    assert _sign_in(browser, a, "roaming", PASSWORD).status_code == 302

    page = browser.get(f"{b}/deals/", allow_redirects=False, timeout=10)
    assert page.status_code == 200  # signed in on A, served by B

    token = _csrf(browser, f"{a}/imports/")
    upload = browser.post(
        f"{a}/imports/",
        data={"kind": "customers", "csrfmiddlewaretoken": token},
        files={"file": ("people.csv", b"Name,Email\nAcme Roaming,acme@example.com\n", "text/csv")},
        allow_redirects=False,
        timeout=10,
    )
    assert upload.status_code == 302, re.findall(r"invalid-feedback[^<]*<[^<]*<[^<]*", upload.text)
    mapping = browser.get(f"{b}/imports/map/", allow_redirects=False, timeout=10)
    assert mapping.status_code == 200
    assert "Acme Roaming" in mapping.text  # B reads the file A received


def test_failed_sign_ins_on_both_servers_count_together(servers):
    a, b = servers
    _user("guarded")
    assert _sign_in(requests.Session(), b, "guarded", PASSWORD).status_code == 302
    for attempt in range(settings.CRM_LOCKOUT_FAILURES):
        _sign_in(requests.Session(), (a, b)[attempt % 2], "guarded", "wrong password")
    refused = _sign_in(requests.Session(), a, "guarded", PASSWORD)
    assert refused.status_code == 200  # the form again: the account is locked on every server
    assert "sessionid" not in refused.cookies
