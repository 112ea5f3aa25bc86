"""Sign-in lockout: ten failures lock an account or an address, on every door, for a while."""

import datetime
import logging

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import throttle
from accounts.models import SignInThrottle
from tests.factories import AdminFactory

PASSWORD = "pw-for-tests-123"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/?next=/admin/"
TOKEN = "/api/token/"
WRONG_PASSWORD = "Please enter a correct username and password"
LOCKED = "Too many failed sign-ins; try again in 15 minutes."


def fail(url: str, username: str, times: int, *, address: str | None = None) -> None:
    """``times`` wrong passwords, each from its own address unless ``address`` is given."""
    for n in range(times):
        client = APIClient() if url == TOKEN else Client()
        client.post(
            url, {"username": username, "password": "wrong"}, REMOTE_ADDR=address or f"10.1.0.{n + 1}"
        )


def sign_in(url: str, username: str, *, address: str = "10.9.9.9"):
    client = APIClient() if url == TOKEN else Client()
    response = client.post(url, {"username": username, "password": PASSWORD}, REMOTE_ADDR=address)
    return client, response


def test_the_login_page_locks_an_account_after_ten_failures_and_says_for_how_long(rep):
    fail(LOGIN, "rep", 9)
    client, response = sign_in(LOGIN, "rep")
    assert response.status_code == 302  # nine typos do not lock anyone out
    client.post(reverse("logout"))

    fail(LOGIN, "rep", 10)
    client, response = sign_in(LOGIN, "rep")
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_tenth_failure_already_says_the_account_is_locked(rep):
    fail(LOGIN, "rep", 9)
    response = Client().post(LOGIN, {"username": "rep", "password": "wrong"}, REMOTE_ADDR="10.2.0.1")
    assert LOCKED in response.content.decode()
    ninth = Client().post(LOGIN, {"username": "someone", "password": "wrong"}, REMOTE_ADDR="10.2.0.2")
    assert WRONG_PASSWORD in ninth.content.decode()


def test_the_admin_login_is_locked_the_same_way(db):
    AdminFactory(username="boss")
    fail(ADMIN_LOGIN, "boss", 10)
    client, response = sign_in(ADMIN_LOGIN, "boss")
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_token_endpoint_answers_429_with_the_reason(rep):
    fail(TOKEN, "rep", 10)
    _, response = sign_in(TOKEN, "rep")
    assert response.status_code == 429
    assert LOCKED in response.data["detail"]
    assert "token" not in response.data
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60


def test_failures_at_every_door_add_up(rep):
    fail(LOGIN, "rep", 4)
    fail(TOKEN, "rep", 3)
    fail(ADMIN_LOGIN, "rep", 3)
    _, response = sign_in(LOGIN, "rep")
    assert LOCKED in response.content.decode()


def test_an_address_is_locked_after_ten_failures_whatever_the_accounts(rep):
    for n in range(10):
        Client().post(LOGIN, {"username": f"guess{n}", "password": "wrong"}, REMOTE_ADDR="198.51.100.4")
    _, from_there = sign_in(LOGIN, "rep", address="198.51.100.4")
    assert LOCKED in from_there.content.decode()
    _, elsewhere = sign_in(LOGIN, "rep", address="198.51.100.5")
    assert elsewhere.status_code == 302


def test_a_good_sign_in_forgives_the_accounts_earlier_typos_but_not_the_addresss(rep):
    fail(LOGIN, "rep", 9, address="203.0.113.9")
    sign_in(LOGIN, "rep", address="203.0.113.9")
    assert not SignInThrottle.objects.filter(scope="account", key="rep").exists()
    assert SignInThrottle.objects.get(scope="address", key="203.0.113.9").failures == 9


def test_account_names_are_counted_without_regard_to_case(rep):
    for n in range(10):
        name = "REP" if n % 2 else "Rep"
        Client().post(LOGIN, {"username": name, "password": "wrong"}, REMOTE_ADDR=f"10.3.0.{n + 1}")
    _, response = sign_in(LOGIN, "rep")
    assert LOCKED in response.content.decode()


def test_the_limits_come_from_the_settings(rep, settings):
    settings.CRM_LOCKOUT_FAILURES = 3
    settings.CRM_LOCKOUT_MINUTES = 5
    fail(LOGIN, "rep", 3)
    _, response = sign_in(LOGIN, "rep")
    assert "Too many failed sign-ins; try again in 5 minutes." in response.content.decode()


def test_the_lockout_ends_by_itself_when_its_time_is_up(db):
    policy = throttle.Policy(limit=10, window=datetime.timedelta(minutes=15))
    start = timezone.now()
    for n in range(10):
        attempt = throttle.reserve("rep", "", now=start + datetime.timedelta(seconds=n), policy=policy)
        throttle.settle(attempt, succeeded=False, now=start + datetime.timedelta(seconds=n), policy=policy)
    locked_at = start + datetime.timedelta(seconds=9)

    almost = locked_at + datetime.timedelta(minutes=14, seconds=59)
    assert throttle.reserve("rep", "", now=almost, policy=policy) is None
    assert throttle.lockout("rep", "", now=almost, policy=policy) == datetime.timedelta(seconds=1)

    after = locked_at + datetime.timedelta(minutes=15, seconds=1)
    assert throttle.lockout("rep", "", now=after, policy=policy) is None
    assert throttle.reserve("rep", "", now=after, policy=policy) is not None
    assert SignInThrottle.objects.get(key="rep").failures == 1  # a fresh window


def test_failures_spread_over_more_than_the_window_do_not_lock(db):
    policy = throttle.Policy(limit=10, window=datetime.timedelta(minutes=15))
    start = timezone.now()
    for n in range(30):
        now = start + datetime.timedelta(minutes=2 * n)  # one every two minutes: 7 or 8 per window
        attempt = throttle.reserve("rep", "", now=now, policy=policy)
        assert attempt is not None, f"refused at attempt {n}"
        throttle.settle(attempt, succeeded=False, now=now, policy=policy)


def test_the_login_page_lets_the_user_in_once_the_lockout_is_over(rep):
    fail(LOGIN, "rep", 10)
    earlier = timezone.now() - datetime.timedelta(minutes=16)
    SignInThrottle.objects.update(window_started=earlier, locked_at=earlier)
    _, response = sign_in(LOGIN, "rep")
    assert response.status_code == 302


def test_an_admin_sees_the_lockout_and_lifts_it(rep, admin_client_, caplog):
    fail(LOGIN, "rep", 10)
    changelist = reverse("admin:accounts_signinthrottle_changelist")

    listed = admin_client_.get(changelist, {"locked": "yes"})
    assert listed.status_code == 200
    html = listed.content.decode()
    assert ">rep<" in html
    assert "10.1.0.1" not in html  # one failure from each address: no address is locked

    row = SignInThrottle.objects.get(scope="account", key="rep")
    with caplog.at_level(logging.WARNING, logger="crm.security"):
        response = admin_client_.post(changelist, {"action": "unlock", "_selected_action": [row.pk]})
    assert response.status_code == 302
    assert not SignInThrottle.objects.filter(pk=row.pk).exists()
    assert any(r.security_event["kind"] == "unlocked" for r in caplog.records)

    _, signed_in = sign_in(LOGIN, "rep")
    assert signed_in.status_code == 302


def test_the_failure_counts_are_read_only_in_the_admin(rep, admin_client_):
    fail(LOGIN, "rep", 1)
    row = SignInThrottle.objects.get(scope="account", key="rep")
    assert admin_client_.get(reverse("admin:accounts_signinthrottle_add")).status_code == 403
    change = admin_client_.get(reverse("admin:accounts_signinthrottle_change", args=[row.pk]))
    assert change.status_code == 200
    assert 'name="failures"' not in change.content.decode()


def test_the_lockout_is_logged_once(rep, caplog):
    with caplog.at_level(logging.INFO, logger="crm.security"):
        fail(LOGIN, "rep", 14)
    kinds = [r.security_event["kind"] for r in caplog.records if hasattr(r, "security_event")]
    assert kinds.count("locked_out") == 1
    assert kinds.count("sign_in_failed") == 10
    assert kinds.count("sign_in_refused") == 4
    locked = next(r for r in caplog.records if r.security_event["kind"] == "locked_out")
    assert locked.levelno == logging.WARNING
    assert locked.security_event["username"] == "rep"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "127.0.0.1"),  # no proxy: the header is the client's word
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the client's own entry comes first
        (2, "203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "", "127.0.0.1"),
    ],
)
def test_the_client_address_is_read_behind_trusted_proxies_only(rf, settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.1")
    assert throttle.client_ip(request) == expected


def test_odd_usernames_are_refused_not_server_errors(db):
    for name in ("a\x00b", "x" * 5000):
        response = APIClient().post(TOKEN, {"username": name, "password": "wrong"})
        assert response.status_code == 400
        page = Client().post(LOGIN, {"username": name, "password": "wrong"})
        assert page.status_code == 200


def test_expired_counts_are_cleared_by_the_command(rep):
    fail(LOGIN, "rep", 2)
    call_command("clear_sign_in_failures")
    assert SignInThrottle.objects.count() == 3
    SignInThrottle.objects.update(window_started=timezone.now() - datetime.timedelta(minutes=16))
    call_command("clear_sign_in_failures")
    assert SignInThrottle.objects.count() == 0


def test_the_lockout_message_speaks_chinese_to_a_chinese_reader(rep):
    fail(LOGIN, "rep", 10)
    response = Client().post(
        LOGIN,
        {"username": "rep", "password": PASSWORD},
        REMOTE_ADDR="10.9.9.9",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "登录失败次数过多，请 15 分钟后再试。" in response.content.decode()
