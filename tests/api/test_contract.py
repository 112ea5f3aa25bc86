"""Contract test: schemathesis generates requests from the OpenAPI schema; none may get a 5xx.

It runs in-process against the WSGI app (so it shares the test database), signed in as a rep by
token, with a few examples per operation and mode to stay within about a minute.
"""

import datetime

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from sales.models import LostReason, SalesPlan
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    ProductFactory,
    SalesPlanFactory,
    SalesRecordFactory,
)

EXAMPLES = 10


def _book_of(rep) -> dict[str, int]:
    """Records of every kind, so generated requests can also hit real rows; keyed by URL prefix."""
    customer = CustomerFactory(owner=rep)
    deal = DealFactory(owner=rep, customer=customer)
    DealFactory(owner=rep, customer=customer, stage="choose")
    return {
        "customers": customer.pk,
        "contacts": ContactFactory(customer=customer).pk,
        "deals": deal.pk,
        "activities": ActivityFactory(owner=rep, customer=customer, deal=deal).pk,
        "sales-records": SalesRecordFactory(
            owner=rep, customer=customer, sold_on=datetime.date(2024, 5, 1)
        ).pk,
        "plans": SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep).pk,
        "products": ProductFactory().pk,
        "lost-reasons": LostReason.objects.active().first().pk,
    }


@pytest.fixture
def keep_test_connection():
    """Keep the test transaction's connection open across requests, as Django's test client does.

    The WSGI handler closes connections when a request finishes; inside a test transaction that
    would close the connection holding the test data (PostgreSQL).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db):
    generator = SchemaGenerator()
    return schemathesis.openapi.from_dict(generator.get_schema(request=None, public=True))


def _run(operation, mode: GenerationMode, app, headers: dict, path_parameters: dict | None) -> None:
    strategy = operation.as_strategy(mode, path_parameters=path_parameters)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        response = case.call(app=app, headers=headers)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} {case.query} {case.body!r} -> {response.status_code}"
        )

    check()


@pytest.mark.django_db(transaction=False)
def test_no_generated_request_gets_a_server_error(
    api_schema, rep, team, other_rep, other_team, settings, keep_test_connection
):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    ids = _book_of(rep)
    _book_of(other_rep)
    token = Token.objects.create(user=rep)
    headers = {"Authorization": f"Token {token.key}"}
    app = get_wsgi_application()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        prefix = operation.path.split("/")[2]
        # Valid requests go to real rows (random ids would mostly be 404s); invalid ones get
        # random paths, bodies and parameters.
        real = {"id": ids[prefix]} if "{id}" in operation.path else None
        _run(operation, GenerationMode.POSITIVE, app, headers, real)
        _run(operation, GenerationMode.NEGATIVE, app, headers, None)
