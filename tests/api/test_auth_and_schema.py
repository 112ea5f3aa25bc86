import io

import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories import DealFactory


def test_a_rep_gets_a_token_with_their_password_and_reads_with_it(db, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    client = APIClient()
    response = client.post("/api/token/", {"username": "rep", "password": "pw-for-tests-123"})
    assert response.status_code == 200
    token = response.data["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/deals/")
    assert response.status_code == 200
    assert [d["id"] for d in response.data["results"]] == [deal.pk]


def test_a_wrong_password_gets_no_token(db, rep):
    response = APIClient().post("/api/token/", {"username": "rep", "password": "nope"})
    assert response.status_code == 400
    assert "token" not in response.data


def test_a_bad_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    response = client.get("/api/deals/")
    assert response.status_code in (401, 403)
    assert response.data["detail"].code == "authentication_failed"


def test_session_writes_need_the_csrf_token(db, rep):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.get("/api/customers/").status_code == 200
    assert client.post("/api/customers/", {"name": "X"}, format="json").status_code == 403


def test_the_schema_validates_without_warnings(db):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    assert "/api/deals/{id}/move/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_schema_is_served_to_signed_in_users(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/customers/" in response.json()["paths"]


def test_the_docs_page_loads_everything_from_static(api):
    response = api.get("/api/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html


def test_a_token_with_a_nul_byte_is_refused_not_a_server_error(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token abc\x00def")
    for url in ("/api/deals/", "/api/metrics/", "/api/schema/"):
        assert client.get(url).status_code in (401, 403)
