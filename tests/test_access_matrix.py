"""Who may do what: every route × method × role (anonymous, rep, manager, admin) has a row here.

The routes come from the project's URL resolver and from the OpenAPI schema, so a new route or API
operation without a row fails ``test_every_route_has_a_row`` until someone decides who may use it.
Records in id routes belong to the rep (whom the manager manages), so everyone signed in who may
use the route at all may see the record; hiding records from other reps is tested per id route in
``tests/test_urls_visibility.py``.

Outcomes:
- ``ok``: served (any 2xx or 3xx that is not the sign-in page, or a 400 for an empty form post);
- ``login``: asks to sign in (a redirect to the sign-in page, or 401/403 from the API);
- ``deny``: refused to this signed-in role (403);
- ``405``: the method is not served;
- ``404``: the record is not this role's to see even so (notifications are their owner's alone).
No row may answer 5xx.
"""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from automation.models import Heartbeat
from people.models import Team
from sales.models import LostReason
from tests.factories import ProductFactory
from tests.test_urls_visibility import OTHER_KWARGS, build, records_of, walk

ROLES = ("anonymous", "rep", "manager", "admin")

# GET and POST outcomes per role, by the shapes the routes come in.
PAGE = {"get": ("login", "ok", "ok", "ok"), "post": ("login", "ok", "ok", "ok")}
READ_PAGE = {"get": ("login", "ok", "ok", "ok"), "post": ("405", "405", "405", "405")}
POST_ONLY = {"get": ("405", "405", "405", "405"), "post": ("login", "ok", "ok", "ok")}
BOARD_POST = {"get": ("login", "405", "405", "405"), "post": ("login", "ok", "ok", "ok")}
MANAGERS = {"get": ("login", "deny", "ok", "ok"), "post": ("login", "deny", "ok", "ok")}
MANAGERS_POST = {"get": ("login", "405", "405", "405"), "post": ("login", "deny", "ok", "ok")}
API_RW = {"get": ("login", "ok", "ok", "ok"), "post": ("login", "ok", "ok", "ok")}
API_READ = {"get": ("login", "ok", "ok", "ok"), "post": ("login", "405", "405", "405")}
API_VERB = {"get": ("login", "405", "405", "405"), "post": ("login", "ok", "ok", "ok")}
ADMINS_READ = {"get": ("login", "deny", "deny", "ok"), "post": ("login", "405", "405", "405")}
ADMINS_POST = {"get": ("login", "405", "405", "405"), "post": ("login", "deny", "deny", "ok")}
PUBLIC = {"get": ("ok", "ok", "ok", "ok"), "post": ("ok", "ok", "ok", "ok")}

MATRIX = {
    "set_language": PUBLIC,
    "accounts:account": READ_PAGE,
    # Signing out everywhere ends this session too: the answer is the sign-in page.
    "accounts:sign_out_everywhere": {
        "get": ("405", "405", "405", "405"),
        "post": ("login", "login", "login", "login"),
    },
    "accounts:password_change": PAGE,
    "accounts:password_reset": PUBLIC,
    "accounts:password_reset_sent": {"get": ("ok", "ok", "ok", "ok"), "post": ("405", "405", "405", "405")},
    "accounts:password_reset_confirm": PUBLIC,
    "favicon": {"get": ("ok", "ok", "ok", "ok"), "post": ("405", "405", "405", "405")},
    "login": PUBLIC,
    # Signing out lands on the sign-in page.
    "logout": {"get": ("405", "405", "405", "405"), "post": ("login", "login", "login", "login")},
    "dataio:customer_export": READ_PAGE,
    "dataio:deal_export": READ_PAGE,
    "dataio:salesrecord_export": READ_PAGE,
    "dataio:import_upload": MANAGERS,
    "dataio:import_map": MANAGERS,
    "dataio:import_preview": MANAGERS,
    "dataio:import_commit": MANAGERS_POST,
    "dataio:import_mapping_json": MANAGERS,
    # A background import's progress: its importer's (and their managers') to see.
    "dataio:import_job": READ_PAGE,
    # A background export's page and, once written, its file.
    "dataio:export_job": READ_PAGE,
    "dataio:export_download": READ_PAGE,
    "sales:home": READ_PAGE,
    "sales:dashboard": READ_PAGE,
    "sales:pipeline": READ_PAGE,
    "sales:board_column": READ_PAGE,
    "sales:board_move": BOARD_POST,
    "sales:board_lost": BOARD_POST,
    "sales:board_reopen": BOARD_POST,
    "sales:customer_list": READ_PAGE,
    "sales:customer_detail": READ_PAGE,
    "sales:contact_create": POST_ONLY,
    "sales:contact_detail": READ_PAGE,
    # A customer's personal data is exported and erased by administrators only.
    "sales:customer_privacy": ADMINS_READ,
    "sales:customer_privacy_export": ADMINS_READ,
    "sales:customer_erase": ADMINS_POST,
    "sales:contact_privacy": ADMINS_READ,
    "sales:contact_privacy_export": ADMINS_READ,
    "sales:contact_erase": ADMINS_POST,
    "sales:customer_log_activity": POST_ONLY,
    "sales:deal_list": READ_PAGE,
    "sales:deal_create": PAGE,
    "sales:deal_options": READ_PAGE,
    "sales:deal_batch": POST_ONLY,
    "sales:deal_detail": READ_PAGE,
    "sales:deal_edit": PAGE,
    "sales:deal_move": POST_ONLY,
    "sales:deal_won": POST_ONLY,
    "sales:deal_lost": POST_ONLY,
    # The deal is the rep's: the rep owns it, the manager manages the rep, the admin is an admin.
    "sales:deal_reopen": POST_ONLY,
    "sales:deal_probability": POST_ONLY,
    "sales:deal_log_activity": POST_ONLY,
    "sales:activity_list": READ_PAGE,
    "sales:activity_create": PAGE,
    "sales:activity_edit": PAGE,
    "sales:activity_done": POST_ONLY,
    "sales:salesrecord_list": READ_PAGE,
    # Everyone reads the plans that cover them; only managers and admins set them.
    "sales:plans": READ_PAGE,
    "sales:plan_copy_forward": MANAGERS_POST,
    "sales:plan_rep_cell": MANAGERS,
    "sales:plan_team_cell": MANAGERS,
    "customers:customer_create": PAGE,
    "customers:customer_options": READ_PAGE,
    "customers:customer_edit": PAGE,
    "customers:contact_edit": PAGE,
    "customers:contact_options": READ_PAGE,
    "api:api-root": API_READ,
    "api:customer-list": API_RW,
    "api:customer-detail": API_READ,
    "api:contact-list": API_RW,
    "api:contact-detail": API_READ,
    "api:deal-list": API_RW,
    "api:deal-detail": API_READ,
    "api:deal-move": API_VERB,
    "api:deal-won": API_VERB,
    "api:deal-lost": API_VERB,
    "api:deal-reopen": API_VERB,
    "api:activity-list": API_RW,
    "api:activity-detail": API_READ,
    "api:salesrecord-list": API_RW,
    "api:salesrecord-detail": API_READ,
    "api:plan-list": {"get": ("login", "ok", "ok", "ok"), "post": ("login", "deny", "ok", "ok")},
    "api:plan-detail": {"get": ("login", "ok", "ok", "ok"), "post": ("login", "deny", "405", "405")},
    "api:product-list": API_READ,
    "api:product-detail": API_READ,
    "api:lostreason-list": API_READ,
    "api:lostreason-detail": API_READ,
    "api:customer-recommendations": API_READ,
    "api:metrics": API_READ,
    "api:token": {"get": ("405", "405", "405", "405"), "post": ("ok", "ok", "ok", "ok")},
    "api:schema": API_READ,
    "api:docs": API_READ,
    # For load balancers and monitors: no sign-in, no data.
    "automation:health": {"get": ("ok", "ok", "ok", "ok"), "post": ("405", "405", "405", "405")},
    "automation:notifications": READ_PAGE,
    "automation:pipeline_trend": READ_PAGE,
    "automation:bell": READ_PAGE,
    "automation:notifications_read": POST_ONLY,
    # One's own notifications only: the manager and the admin get 404 for the rep's.
    "automation:notification_open": {
        "get": ("login", "ok", "404", "404"),
        "post": ("405", "405", "405", "405"),
    },
    "automation:preferences": PAGE,
    # Works from the email without signing in; the token names the user.
    "automation:unsubscribe": PUBLIC,
}


def project_routes() -> dict:
    """The named routes outside Django admin (which is staff-only and has its own tests), one per name."""
    routes = {}
    for route in walk():
        if route.route.startswith("admin/") or route.name is None:
            continue
        if "format" in route.kwargs:  # ".json" suffix twins of the API routes answer alike
            continue
        routes.setdefault(route.name, route)
    return routes


ROUTES = project_routes()


def test_every_route_has_a_row():
    missing = sorted(set(ROUTES) - set(MATRIX))
    assert not missing, f"routes without a row in MATRIX (decide who may use them): {missing}"
    stale = sorted(set(MATRIX) - set(ROUTES))
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_every_api_operation_in_the_schema_is_a_routed_path():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    api_routes = {
        r.route.replace("(?P<pk>[^/.]+)", "{id}").replace("<int:pk>", "{id}")
        for r in ROUTES.values()
        if r.route.startswith("api/")
    }
    for path, operations in schema["paths"].items():
        assert path.lstrip("/") in api_routes, f"{path} is in the schema but not in MATRIX"
        for method in operations:
            assert method in {"get", "post", "put", "patch", "delete"}, (path, method)


OWN_ONLY = {"automation:notification_open"}


def client_for(role: str, people: dict) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(people[role])
    return client


def url_of(route, records) -> str:
    if any(k not in OTHER_KWARGS for k in route.kwargs):
        return build(route, records) or reverse(route.name, kwargs=dict.fromkeys(route.kwargs, 1))
    return reverse(route.name, kwargs={k: OTHER_KWARGS[k] for k in route.kwargs})


def outcome(route, role: str, response) -> str:
    status = response.status_code
    assert status < 500, f"{route.route}: {status}"
    if status == 405:
        return "405"
    if status in (401, 403):
        # DRF answers 403 rather than 401 to a missing login when no authenticator asks for a header.
        return "login" if role == "anonymous" else "deny"
    if status in (301, 302) and "/accounts/login/" in response.get("Location", ""):
        return "login"
    if status == 404 and route.name in OWN_ONLY:
        return "404"
    assert status != 404, f"{route.route}: 404 for a record this role may see"
    return "ok"


@pytest.fixture
def people(rep, manager, team, admin_user) -> dict:
    return {"rep": rep, "manager": manager, "admin": admin_user}


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_role_gets_what_its_row_says(name, people):
    route = ROUTES[name]
    ProductFactory(pk=1)
    LostReason.objects.update_or_create(pk=1, defaults={"name": "Reason one", "active": True})
    # A worker is running, so /health/ is healthy (its 503 is tested in tests/automation).
    Heartbeat.objects.create(worker="matrix", beat_at=timezone.now(), started_at=timezone.now())
    url = url_of(route, records_of(people["rep"]))
    wrong = []
    for role in ROLES:
        for method in ("get", "post"):
            response = getattr(client_for(role, people), method)(url)
            if route.name == "api:token" and method == "post":
                # Without a username and password the token view answers 400: it is open to anyone.
                assert response.status_code == 400
                continue
            expected = MATRIX[name][method][ROLES.index(role)]
            got = outcome(route, role, response)
            if got != expected:
                wrong.append(
                    f"{method.upper()} {url} as {role}: {response.status_code} ({got}, not {expected})"
                )
    assert not wrong, wrong


def test_api_writes_by_method_follow_the_same_rule(people):
    """PUT, PATCH and DELETE on the rep's records: signed-in roles are let through to validation."""
    records = records_of(people["rep"])
    for role in ROLES:
        client = client_for(role, people)
        for kind, path in (("customer", "customers"), ("contact", "contacts"), ("activity", "activities")):
            url = f"/api/{path}/{records[kind].pk}/"
            for method in ("put", "patch"):
                status = getattr(client, method)(url, "{}", content_type="application/json").status_code
                assert status < 500
                if role == "anonymous":
                    assert status in (401, 403), (method, url, status)
                else:
                    assert status in (200, 400, 405), (role, method, url, status)


def test_the_team_row_holds_only_the_rep(people):
    # The matrix assumes the manager manages the rep: keep that true.
    assert Team.objects.filter(manager=people["manager"], members=people["rep"]).exists()
