"""Sessions end when idle, when too old, and everywhere at once: sign-out, password change, deactivation."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.sessions import SEEN_AT, SIGNED_IN_AT

PASSWORD = "pw-for-tests-123"
HOME = "/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def age(client: Client, **seconds_ago: float) -> None:
    """Move the session's sign-in or last-seen time into the past."""
    session = client.session
    for key, ago in seconds_ago.items():
        session[{"signed_in": SIGNED_IN_AT, "seen": SEEN_AT}[key]] = time.time() - ago
    session.save()


def is_signed_in(client: Client) -> bool:
    response = client.get(HOME)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_session_idle_for_thirty_minutes_ends(rep, team):
    client = signed_in(rep)
    age(client, seen=30 * 60 + 5)
    response = client.get(HOME, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "Your session has ended. Please sign in again." in response.content.decode()
    assert not is_signed_in(client)


def test_a_session_used_within_thirty_minutes_goes_on_and_counts_from_now(rep, team):
    client = signed_in(rep)
    age(client, seen=29 * 60)
    assert is_signed_in(client)
    assert time.time() - client.session[SEEN_AT] < 5


def test_a_session_ends_twelve_hours_after_signing_in_however_busy(rep, team):
    client = signed_in(rep)
    age(client, signed_in=12 * 3600 - 60)
    assert is_signed_in(client)
    age(client, signed_in=12 * 3600 + 5)
    assert not is_signed_in(client)


def test_the_limits_come_from_the_settings(rep, team, settings):
    settings.CRM_SESSION_IDLE_MINUTES = 5
    settings.CRM_SESSION_MAX_HOURS = 1
    client = signed_in(rep)
    age(client, seen=6 * 60)
    assert not is_signed_in(client)
    client = signed_in(rep)
    age(client, signed_in=3600 + 5)
    assert not is_signed_in(client)


def test_the_session_cookie_lasts_no_longer_than_the_session(settings):
    assert settings.SESSION_COOKIE_AGE == settings.CRM_SESSION_MAX_HOURS * 3600


def test_a_session_from_before_the_limits_existed_ends(rep, team):
    client = signed_in(rep)
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()
    assert not is_signed_in(client)


def test_page_views_within_a_minute_do_not_rewrite_the_session(rep, team):
    client = signed_in(rep)
    client.get(HOME)
    with CaptureQueriesContext(connection) as queries:
        client.get(HOME)
    writes = [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
    assert writes == []


def test_an_api_request_with_the_session_ends_with_it(rep, team):
    client = signed_in(rep)
    age(client, seen=31 * 60)
    assert client.get("/api/deals/").status_code == 403


def test_sign_out_everywhere_ends_every_session_and_the_token(rep, team):
    here, there = signed_in(rep), signed_in(rep)
    api = token_client(rep)
    assert api.get("/api/deals/").status_code == 200

    response = here.post(reverse("accounts:sign_out_everywhere"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You have been signed out on every device" in response.content.decode()

    assert not is_signed_in(here)
    assert not is_signed_in(there)
    assert api.get("/api/deals/").status_code in (401, 403)
    assert not Token.objects.filter(user=rep).exists()

    again = Client()
    assert again.post(reverse("login"), {"username": "rep", "password": PASSWORD}).status_code == 302
    assert is_signed_in(again)


def test_sign_out_everywhere_needs_a_post(rep, team):
    client = signed_in(rep)
    assert client.get(reverse("accounts:sign_out_everywhere")).status_code == 405
    assert is_signed_in(client)


def test_sign_out_everywhere_leaves_other_users_signed_in(rep, team, other_rep, other_team):
    mine, theirs = signed_in(rep), signed_in(other_rep)
    mine.post(reverse("accounts:sign_out_everywhere"))
    assert is_signed_in(theirs)


def test_changing_the_password_ends_other_sessions_and_the_token_but_not_this_one(rep, team):
    here, there = signed_in(rep), signed_in(rep)
    api = token_client(rep)

    response = here.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-secret-42",
            "new_password2": "a-new-long-secret-42",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:account")
    assert "Your password has been changed." in response.content.decode()

    assert is_signed_in(here)
    assert not is_signed_in(there)
    assert api.get("/api/deals/").status_code in (401, 403)


def test_a_password_set_by_anyone_else_ends_the_users_sessions_and_token(rep, team):
    client, api = signed_in(rep), token_client(rep)
    rep.set_password("set-by-an-admin-99")
    rep.save()
    assert not is_signed_in(client)
    assert api.get("/api/deals/").status_code in (401, 403)


def test_saving_a_user_without_a_new_password_keeps_the_token(rep, team):
    api = token_client(rep)
    rep.first_name = "Renamed"
    rep.save()
    assert api.get("/api/deals/").status_code == 200


def test_a_deactivated_user_stays_signed_out_when_reactivated(rep, team):
    client, api = signed_in(rep), token_client(rep)
    token_key = Token.objects.get(user=rep).key

    rep.is_active = False
    rep.save()
    assert not is_signed_in(client)

    rep.is_active = True
    rep.save()
    assert not is_signed_in(client)
    assert api.get("/api/deals/").status_code in (401, 403)
    assert not Token.objects.filter(key=token_key).exists()
    assert is_signed_in(signed_in(rep))  # a new sign-in works


def test_deactivating_in_the_admin_ends_the_users_sessions(rep, team, admin_client_):
    client = signed_in(rep)
    url = reverse("admin:auth_user_change", args=[rep.pk])
    form = admin_client_.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in {"password", "last_login"}}
    data.update(
        {
            "is_active": "",
            "groups": [g.pk for g in rep.groups.all()],
            "user_permissions": [],
            "date_joined_0": rep.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": rep.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("date_joined", None)
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    get_user_model().objects.filter(pk=rep.pk).update(is_active=True)
    assert not is_signed_in(client)


@pytest.mark.parametrize("page", ["accounts:account", "accounts:password_change"])
def test_the_account_pages_need_a_signed_in_user(client, db, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_account_page_offers_the_password_change_and_sign_out_everywhere(rep, team):
    html = signed_in(rep).get(reverse("accounts:account")).content.decode()
    assert reverse("accounts:password_change") in html
    assert f'action="{reverse("accounts:sign_out_everywhere")}"' in html
    assert "30 minutes" in html
    assert "12 hours" in html


def test_every_page_links_to_the_account_page(rep, team):
    assert f'href="{reverse("accounts:account")}"' in signed_in(rep).get(HOME).content.decode()


def test_the_bells_background_refresh_does_not_keep_a_session_alive(rep, team):
    client = signed_in(rep)
    age(client, seen=29 * 60)
    bell = client.get(reverse("automation:bell"), headers={"HX-Request": "true", "X-CRM-Background": "1"})
    assert bell.status_code == 200
    assert time.time() - client.session[SEEN_AT] > 28 * 60  # not counted as the user being there
    age(client, seen=30 * 60 + 5)
    assert client.get(reverse("automation:bell"), headers={"X-CRM-Background": "1"}).status_code == 302
    assert not is_signed_in(client)
