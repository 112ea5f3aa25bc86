"""API tokens expire CRM_TOKEN_HOURS after they were issued; asking again after that gives a new one."""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

PASSWORD = "pw-for-tests-123"


def ask_for_token(username: str = "rep"):
    return APIClient().post("/api/token/", {"username": username, "password": PASSWORD})


def reading_with(key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/deals/")


def test_a_token_says_when_it_expires_thirty_days_on(rep, team):
    response = ask_for_token()
    assert response.status_code == 200
    token = Token.objects.get(key=response.data["token"])
    expires = parse_datetime(response.json()["expires"])
    assert expires == token.created + datetime.timedelta(hours=720)


def test_an_expired_token_is_refused(rep, team):
    key = ask_for_token().data["token"]
    assert reading_with(key).status_code == 200
    Token.objects.filter(key=key).update(created=timezone.now() - datetime.timedelta(hours=720, seconds=1))
    response = reading_with(key)
    assert response.status_code in (401, 403)
    assert "expired" in str(response.data["detail"])


def test_a_token_just_short_of_its_lifetime_still_works(rep, team):
    key = ask_for_token().data["token"]
    Token.objects.filter(key=key).update(created=timezone.now() - datetime.timedelta(hours=719, minutes=59))
    assert reading_with(key).status_code == 200


def test_asking_again_gives_the_same_token_until_it_expires_then_a_new_one(rep, team):
    first = ask_for_token().data["token"]
    assert ask_for_token().data["token"] == first
    Token.objects.filter(key=first).update(created=timezone.now() - datetime.timedelta(hours=721))
    second = ask_for_token().data["token"]
    assert second != first
    assert reading_with(second).status_code == 200


def test_the_lifetime_comes_from_the_settings(rep, team, settings):
    settings.CRM_TOKEN_HOURS = 1
    key = ask_for_token().data["token"]
    Token.objects.filter(key=key).update(created=timezone.now() - datetime.timedelta(minutes=61))
    assert reading_with(key).status_code in (401, 403)
