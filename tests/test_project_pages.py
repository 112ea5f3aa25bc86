"""Pages of the project itself: the icon every browser asks for, and the refusal page."""

from django.contrib.staticfiles import finders


def test_every_page_names_an_icon_that_exists(rep_client):
    html = rep_client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert finders.find("favicon.svg")


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"


def test_a_rep_opening_imports_gets_the_crm_refusal_page_not_a_bare_403(rep_client):
    response = rep_client.get("/imports/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "This page is not for your role" in html
    assert 'href="/static/favicon.svg"' in html  # the CRM's own layout, not the server's default
