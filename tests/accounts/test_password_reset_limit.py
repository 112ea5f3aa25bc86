"""Password-reset emails are limited per email address and per client address, and the answer is
the same whether an email went out, the address is unknown, or the limit was reached."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, SignInThrottle
from tests.factories import RepFactory

RESET = reverse("accounts:password_reset")


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CRM_RESET_LIMIT = 3
    settings.CRM_RESET_MINUTES = 60


def ask(email: str, ip: str):
    return Client().post(RESET, {"email": email}, REMOTE_ADDR=ip)


def test_one_email_address_gets_at_most_the_limit_of_emails_from_any_number_of_addresses(rep):
    answers = [ask(rep.email, f"10.9.0.{n}") for n in range(5)]
    assert len(mail.outbox) == 3
    # Every answer is the same redirect to "check your email".
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("accounts:password_reset_sent"))
    }
    assert AuditEvent.objects.filter(kind="password_reset_refused").count() == 2


def test_one_client_address_is_limited_across_email_addresses(db):
    people = [RepFactory(email=f"person{n}@example.com") for n in range(5)]
    answers = [ask(p.email, "192.0.2.50") for p in people]
    assert len(mail.outbox) == 3
    assert [m.to for m in mail.outbox] == [[p.email] for p in people[:3]]
    assert len({a["Location"] for a in answers}) == 1
    # Another client address is not held back by this one.
    ask(people[4].email, "192.0.2.51")
    assert len(mail.outbox) == 4


def test_a_known_and_an_unknown_address_get_the_same_answer_at_and_past_the_limit(rep):
    for n in range(4):
        known = ask(rep.email, f"10.8.0.{n}")
        unknown = ask("nobody@example.com", f"10.7.0.{n}")
        assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
        assert page(known["Location"]) == page(unknown["Location"])


def page(url: str) -> str:
    # Per-response tokens (the CSP nonce, the CSRF token) differ by design; nothing else may.
    return re.sub(r'(nonce=|value=|Token": )"[^"]*"', "", Client().get(url).content.decode())


def test_the_limit_ends_with_its_window(rep):
    for n in range(4):
        ask(rep.email, f"10.6.0.{n}")
    assert len(mail.outbox) == 3
    SignInThrottle.objects.filter(scope="reset-acct").update(
        window_started=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    ask(rep.email, "10.6.0.9")
    assert len(mail.outbox) == 4


def test_reset_requests_do_not_count_against_signing_in(rep):
    for _ in range(5):
        ask(rep.email, "10.5.0.1")
    response = Client().post(
        reverse("login"), {"username": "rep", "password": "pw-for-tests-123"}, REMOTE_ADDR="10.5.0.1"
    )
    assert response.status_code == 302
