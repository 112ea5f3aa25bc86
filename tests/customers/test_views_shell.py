"""The shell around every page: sign-in, navigation, messages, and the 404 and 500 pages."""

import pytest
from django.template.loader import get_template
from django.urls import reverse

from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def test_pages_need_a_signed_in_user(client):
    for name in ("sales:home", "sales:deal_list", "sales:customer_list", "sales:activity_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_login_page_signs_in_and_lands_on_my_day(client, rep):
    page = client.get(reverse("login"))
    assert b"Sign in to the CRM" in page.content
    response = client.post(reverse("login"), {"username": "rep", "password": "pw-for-tests-123"})
    assert response["Location"] == reverse("sales:home")


def test_a_wrong_password_is_told_and_the_username_kept(client, rep):
    response = client.post(reverse("login"), {"username": "rep", "password": "nope"})
    assert response.status_code == 200
    assert b"alert" in response.content
    assert b'value="rep"' in response.content


def test_the_navigation_links_every_section_and_admin_only_for_staff(rep_client, client):
    body = rep_client.get(reverse("sales:home")).content.decode()
    for name in (
        "sales:home",
        "sales:deal_list",
        "sales:customer_list",
        "sales:activity_list",
        "sales:dashboard",
    ):
        assert f'href="{reverse(name)}"' in body
    assert reverse("admin:index") not in body
    client.force_login(AdminFactory())
    assert reverse("admin:index") in client.get(reverse("sales:home")).content.decode()


def test_sign_out_is_a_post_form(rep_client):
    body = rep_client.get(reverse("sales:home")).content.decode()
    assert f'method="post" action="{reverse("logout")}"' in body


def test_a_missing_page_uses_the_friendly_404(rep_client):
    response = rep_client.get("/deals/999999/")
    assert response.status_code == 404
    assert "find that page" in response.content.decode()


def test_the_500_page_renders_without_a_request():
    html = get_template("500.html").render()
    assert "Something went wrong" in html


def test_messages_are_shown_once_after_a_redirect(rep_client):
    response = rep_client.post(
        reverse("customers:customer_create"), {"name": "Flash", "kind": "company"}, follow=True
    )
    assert "Customer “Flash” created." in response.content.decode()
    assert "created." not in rep_client.get(reverse("sales:home")).content.decode()
