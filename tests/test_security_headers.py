"""Headers that protect customer data: the CSP, HSTS behind HTTPS, and no caching of anyone's pages."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]

# An inline <script> (one with code in it, not src= and not json_script's data), an on* handler
# attribute, or a javascript: URL: all of them are refused by the CSP and would silently not run.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def csp(response) -> dict[str, str]:
    directives = [d.strip() for d in response["Content-Security-Policy"].split(";")]
    return {d.split()[0]: d for d in directives if d}


def is_no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_every_page_has_a_csp_that_runs_only_our_own_script_files(client, rep, team):
    for response in (client.get("/accounts/login/"), Client().get("/no-such-page/")):
        policy = csp(response)
        assert policy["script-src"] == "script-src 'self'"
        assert "'unsafe-inline'" not in policy["style-src"]
        assert policy["object-src"] == "object-src 'none'"
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    client.force_login(rep)
    assert csp(client.get("/"))["default-src"] == "default-src 'self'"


@pytest.mark.parametrize(
    "path",
    [p for d in TEMPLATE_DIRS for p in sorted(d.rglob("*.html"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_template_has_code_the_csp_would_refuse(path):
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script>: move the code to a file in static/js/"
    assert not HANDLER_ATTRIBUTE.search(text), "on* attribute: use a data- attribute and static/js/crm.js"
    assert not JAVASCRIPT_URL.search(text), "javascript: URL: use a data- attribute and static/js/crm.js"


def test_the_template_check_finds_what_it_looks_for():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/crm.js"></script>')
    assert not INLINE_SCRIPT.search('<script id="x" type="application/json">{}</script>')
    assert HANDLER_ATTRIBUTE.search('<select onchange="this.form.submit()">')
    assert not HANDLER_ATTRIBUTE.search('<select data-autosubmit class="one">')


def test_pages_for_a_signed_in_user_are_never_cached(rep, team):
    client = Client()
    client.force_login(rep)
    for path in ("/", "/deals/", "/customers/", "/accounts/", "/deals/export/?format=csv"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert is_no_store(response), path


def test_every_api_answer_is_never_cached(rep, team):
    assert is_no_store(APIClient().get("/api/deals/"))  # even a refusal
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=rep).key}")
    response = client.get("/api/deals/")
    assert response.status_code == 200
    assert is_no_store(response)
    assert is_no_store(APIClient().post("/api/token/", {"username": "rep", "password": "pw-for-tests-123"}))


def test_https_brings_hsts_and_the_redirect_to_https(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    client = Client()
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/accounts/login/"
    secure = client.get("/accounts/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def _settings_of(env: dict, *names: str) -> list[str]:
    code = "import crm.settings as s; print(" + ", ".join(f"s.{n}" for n in names) + ")"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    return result.stdout.split()


def production_env(**changes: str) -> dict:
    """The production settings README.md gives, and nothing from the test run's environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HTTPS", "HSTS"))}
    env.update(
        DJANGO_SETTINGS_MODULE="crm.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        HTTPS="1",
        ALLOWED_HOSTS="crm.example.com",
    )
    env.update(changes)
    return env


def test_https_1_turns_on_hsts_and_the_redirect():
    assert _settings_of(production_env(), "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS") == [
        "True",
        "31536000",
    ]
    assert _settings_of(production_env(HTTPS="0"), "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS") == [
        "False",
        "0",
    ]


def deploy_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_the_deploy_check_is_clean_with_the_production_settings():
    result = deploy_check(production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_would_catch_plain_http():
    result = deploy_check(production_env(HTTPS="0"))
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout
