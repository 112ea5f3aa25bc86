"""Every URL pattern that takes an id answers 404 to a rep who may not see the record.

The patterns are enumerated from the project's resolver, so a route added later is tested without
anyone remembering to: if this file cannot tell which record an id stands for, the route's test
fails and asks for an entry in the mappings below. Django admin routes are staff-only and skipped.
"""

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dataio.models import ExportJob, ImportJob
from sales.models import SalesPlan
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    NotificationFactory,
    SalesPlanFactory,
    SalesRecordFactory,
    TeamFactory,
)

# A kwarg is id-like if it is pk or id, or ends in _id / _pk.
ID_KWARG = re.compile(r"^(pk|id|\w+_id|\w+_pk)$")

# For ``pk``/``id``: the collection named by the path segment just before the id decides the record
# (``deals/<pk>/move/`` is a deal, ``customers/contacts/<pk>/edit/`` a contact). A new kind of
# route needs a line here - that is the point: the test fails until someone says what to hide.
SEGMENT_RECORDS = {
    "customers": "customer",
    "contacts": "contact",
    "deals": "deal",
    "activities": "activity",
    "sales-records": "salesrecord",
    "plans": "plan",
    "teams": "team",
    "notifications": "notification",
    "jobs": "importjob",
    "exports": "exportjob",
    "products": None,  # the catalogue is shared by everyone who signs in: nothing to hide
    "stages": None,  # the sales process is shared too
    "lost-reasons": None,  # so is the list of lost reasons
}

# For ``<name>_id`` / ``<name>_pk`` kwargs: the record each name stands for.
KWARG_RECORDS = {
    "customer_id": "customer",
    "contact_id": "contact",
    "deal_id": "deal",
    "activity_id": "activity",
    "salesrecord_id": "salesrecord",
    "record_id": "salesrecord",
    "plan_id": "plan",
    "team_id": "team",
    "rep_id": "rep",  # a person: what another rep may not plan or see
    "product_id": None,
    "stage_id": None,
}

# Values for the kwargs that are not ids, so the URL can be built.
OTHER_KWARGS = {"format": "json", "key": "lead", "stage": "lead", "uidb64": "MQ", "token": "set-password"}


def records_of(rep) -> dict:
    """One record of each kind owned by ``rep``, related to each other like real data."""
    customer = CustomerFactory(owner=rep)
    deal = DealFactory(owner=rep, customer=customer)
    return {
        "customer": customer,
        "contact": ContactFactory(customer=customer),
        "deal": deal,
        "activity": ActivityFactory(owner=rep, customer=customer, deal=deal),
        "salesrecord": SalesRecordFactory(owner=rep, customer=customer),
        "plan": SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep),
        "team": rep.sales_teams.first() or TeamFactory(members=[rep]),
        "notification": NotificationFactory(user=rep),
        "importjob": ImportJob.objects.create(
            user=rep, kind="deals", filename="deals.csv", data=b"", mapping={}
        ),
        "exportjob": ExportJob.objects.create(
            user=rep, kind="deals", format="csv", state="done", filename="d.csv"
        ),
        "rep": rep,
    }


@dataclass(frozen=True)
class Route:
    route: str  # the whole pattern, for messages and test ids
    name: str | None  # namespaced url name, for reverse()
    kwargs: tuple[str, ...]
    callback: object

    def serves(self, method: str) -> bool | None:
        """Whether the view serves ``method``: known for class-based views, else None (try it)."""
        actions = getattr(self.callback, "actions", None)  # a DRF viewset route: its method map
        if actions is not None:
            return method in actions
        cls = getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)
        if cls is not None:
            return hasattr(cls, method)
        return None


def _pattern_text(pattern) -> str:
    text = str(pattern.pattern)
    return text.removeprefix("^").removesuffix("$")


def _kwarg_names(pattern) -> list[str]:
    regex = pattern.pattern.regex
    return list(regex.groupindex)


def walk(patterns=None, prefix: str = "", namespace: str = "") -> list[Route]:
    """Every leaf pattern of the project, with its full route text and namespaced name."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    out = []
    for p in patterns:
        text = prefix + _pattern_text(p)
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            out += walk(p.url_patterns, text, ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            # Kwargs of the enclosing resolvers count too (e.g. an include under "<int:pk>/").
            kwargs = sorted(set(re.findall(r"<(?:\w+:)?(\w+)>", text)) | set(_kwarg_names(p)))
            out.append(Route(text, name, tuple(kwargs), p.callback))
    return out


def id_routes() -> list[Route]:
    return [
        r for r in walk() if any(ID_KWARG.match(k) for k in r.kwargs) and not r.route.startswith("admin/")
    ]


def record_for(route: Route, kwarg: str) -> str | None:
    """The kind of record ``kwarg`` stands for in ``route`` (None: shared), or fail the test."""
    if kwarg in ("pk", "id"):
        match = re.search(rf"(?:<(?:\w+:)?{kwarg}>|\(\?P<{kwarg}>)", route.route)
        segments = [s for s in route.route[: match.start()].split("/") if s]
        segment = segments[-1] if segments else ""
        if segment not in SEGMENT_RECORDS:
            pytest.fail(
                f"{route.route}: cannot tell which record <{kwarg}> is (segment {segment!r}); "
                "add it to SEGMENT_RECORDS in tests/test_urls_visibility.py"
            )
        return SEGMENT_RECORDS[segment]
    if kwarg not in KWARG_RECORDS:
        pytest.fail(f"{route.route}: unknown id kwarg {kwarg!r}; add it to KWARG_RECORDS")
    return KWARG_RECORDS[kwarg]


def build(route: Route, records: dict) -> str | None:
    """The URL of ``route`` for ``records`` (None when every id in it is a shared record)."""
    if not route.name:
        pytest.fail(f"{route.route}: an id-bearing route needs a name so it can be tested")
    values, hidden = {}, False
    for kwarg in route.kwargs:
        if ID_KWARG.match(kwarg):
            kind = record_for(route, kwarg)
            if kind is None:
                values[kwarg] = 1
                continue
            hidden = True
            values[kwarg] = records[kind].pk
        elif kwarg in OTHER_KWARGS:
            values[kwarg] = OTHER_KWARGS[kwarg]
        else:
            pytest.fail(f"{route.route}: no value for kwarg {kwarg!r}; add it to OTHER_KWARGS")
    return reverse(route.name, kwargs=values) if hidden else None


ROUTES = id_routes()


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.name}:{r.route}" for r in ROUTES])
def test_another_rep_gets_404(route, rep, other_rep, team, other_team):
    url = build(route, records_of(rep))
    if url is None:
        pytest.skip("every id in this route is a shared record")
    outsider, owner = Client(), Client()
    outsider.force_login(other_rep)
    owner.force_login(rep)

    answers = {}
    for method in ("get", "post"):
        if route.serves(method) is False:
            continue
        status = getattr(outsider, method)(url).status_code
        # 405 means the method is not served at all (answered before any record is read).
        allowed = (404,) if route.serves(method) else (404, 405)
        assert status in allowed, f"{method.upper()} {url} as another rep: {status}"
        answers[method] = status
    assert 404 in answers.values(), f"{url} serves neither GET nor POST"

    # The same URL finds the record for its owner, so the 404 above is about visibility and not
    # about a wrongly built URL.
    method = "get" if answers.get("get") == 404 else "post"
    status = getattr(owner, method)(url).status_code
    assert status != 404, f"{method.upper()} {url} is a 404 for the record's owner too"


def test_a_route_whose_id_cannot_be_mapped_fails_instead_of_being_skipped():
    unknown = Route("widgets/<int:pk>/", "sales:widget_detail", ("pk",), None)
    with pytest.raises(pytest.fail.Exception, match="SEGMENT_RECORDS"):
        record_for(unknown, "pk")
    odd = Route("deals/<int:gizmo_id>/", "sales:gizmo", ("gizmo_id",), None)
    with pytest.raises(pytest.fail.Exception, match="KWARG_RECORDS"):
        record_for(odd, "gizmo_id")
    unnamed = Route("deals/<int:pk>/x/", None, ("pk",), None)
    with pytest.raises(pytest.fail.Exception, match="needs a name"):
        build(unnamed, {})
