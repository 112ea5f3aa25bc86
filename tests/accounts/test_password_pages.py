"""Password reset by email and the links to it; the change page is tested with the sessions."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

NEW_PASSWORD = "a-fresh-long-secret-77"


def test_the_login_page_links_to_the_password_reset(client, db):
    html = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("accounts:password_reset")}"' in html


def test_a_reset_link_is_emailed_and_sets_a_new_password(rep, team, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    token = Token.objects.create(user=rep)
    client = Client()

    response = client.post(reverse("accounts:password_reset"), {"email": rep.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [rep.email]
    assert message.subject == "Reset your CRM password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)

    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("login")
    assert "Your password has been set." in done.content.decode()

    assert Client().post(reverse("login"), {"username": "rep", "password": NEW_PASSWORD}).status_code == 302
    assert not Token.objects.filter(key=token.key).exists()
    # The link works once.
    assert not client.get(link, follow=True).context["validlink"]


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("accounts:password_reset_sent")
    assert mail.outbox == []


def test_the_reset_email_speaks_the_readers_language(rep, team, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Client().post(reverse("accounts:password_reset"), {"email": rep.email}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert mail.outbox[0].subject == "重置您的 CRM 密码"


def test_the_token_endpoint_still_refuses_a_wrong_password_with_400(rep):
    response = APIClient().post("/api/token/", {"username": "rep", "password": "nope"})
    assert response.status_code == 400
