"""Contract test with every schemathesis check: as a rep, no generated request gets a server error,
and every answer matches the schema (status code, content type, headers, body), invalid input is
refused, valid input accepted, and authorization is neither ignored nor leaky.

Same setup as ``test_contract.py`` (in-process WSGI app, token of a rep, real rows for the valid
requests); fewer examples per operation, as each one runs all the checks.
"""

import functools
import os
import re

import pytest
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, is_check_class, load_all_checks
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData

from tests.api.test_contract import _book_of, api_schema, keep_test_connection  # noqa: F401

EXAMPLES = 6
TEXT_FROM_SCALAR = re.compile(r"- violates `type` at \S+ \(was string, became (integer|number|boolean)\)")
# The same for a text field that may be null, whose schema is "a string, or null".
NULLABLE_TEXT_FROM_NUMBER = re.compile(
    r"- violates `type` at /properties/(\w+)/anyOf/\d+ \(was null, became (integer|number)\)"
)


@functools.cache
def nullable_text() -> frozenset[str]:
    """Body fields that are text or null in every schema that has them."""
    kinds: dict[str, set] = {}
    for component in (
        SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"].values()
    ):
        for name, prop in component.get("properties", {}).items():
            kinds.setdefault(name, set()).add(_plain_text(prop) and bool(prop.get("nullable")))
    return frozenset(name for name, seen in kinds.items() if seen == {True})


def _plain_text(prop: dict) -> bool:
    """A string with no format (not a date or a decimal), or a choice of such strings."""
    choices = prop.get("oneOf") or [prop]
    return all(choice.get("type") == "string" and "format" not in choice for choice in choices)


def _text_from_scalar(reason: str) -> bool:
    if TEXT_FROM_SCALAR.fullmatch(reason):
        return True
    nullable = NULLABLE_TEXT_FROM_NUMBER.fullmatch(reason)
    return bool(nullable) and nullable.group(1) in nullable_text()


def all_checks() -> list:
    """Every check schemathesis has (its ``--checks all``): the built-in ones are functions."""
    load_all_checks()
    return [check for check in CHECKS.get_all() if not is_check_class(check)]


def _failures(
    operation, mode: GenerationMode, app, headers: dict, path_parameters, checks, references: dict
) -> list[str]:
    strategy = operation.as_strategy(mode, path_parameters=path_parameters)
    found: list[str] = []

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case):
        _sign_in(case, headers)
        if mode == GenerationMode.POSITIVE:
            _real_references(case, references)
        response = case.call(app=app)
        try:
            case.validate_response(response, checks=checks, transport_kwargs={"app": app})
        except FailureGroup as group:
            for failure in group.exceptions:
                if _tolerated(failure, case):
                    continue
                found.append(
                    f"{case.method} {operation.path} [{mode.value}]: {failure.title} "
                    f"({response.status_code}{_why(response)})"
                    + (
                        f" {getattr(failure, 'message', '')[:400]}"
                        if os.environ.get("CONTRACT_VERBOSE")
                        else ""
                    )
                )

    run()
    return found


def _tolerated(failure, case) -> bool:
    """The two kinds of finding a schema cannot rule out, each kept as narrow as it can be.

    - A list's filters ignore a value they cannot read (as the list pages do), so an invalid
      filter on a GET list is answered with the unfiltered list rather than a 400.
    - A number or true/false sent for a text field is taken as its text (DRF's CharField), so
      such a body is accepted although the schema says "string" (or, for a text field that may be
      empty, "string or null").
    - Schema-valid input that a rule refuses with 400 and a reason: a stage key that no stage
      has, a date outside 1900-2200, a deal already won or lost, a wrong password, an activity
      linked to nothing. JSON Schema cannot state which rows exist or rules across fields.
    Server errors, undocumented answers, bodies that differ from the schema, unexpected media
    types or headers, and credentials that are ignored are never tolerated.
    """
    if isinstance(failure, AcceptedNegativeData):
        if case.method == "GET" and not case.operation.path.endswith("}/"):
            return True
        reasons = [line.strip() for line in failure.message.splitlines() if line.strip().startswith("- ")]
        return bool(reasons) and all(_text_from_scalar(reason) for reason in reasons)
    return isinstance(failure, RejectedPositiveData) and failure.status_code == 400


def _real_references(case, references: dict) -> None:
    """Valid bodies and queries name rows that exist and the rep may see, as valid paths do: which
    ids exist is data, not something a schema can say."""
    for container in (case.body, case.query):
        if isinstance(container, dict):
            for name, value in references.items():
                if container.get(name) is not None:
                    container[name] = value


def _sign_in(case, headers: dict) -> None:
    """Send the rep's token in place of any credentials the generator made up, and tell the checks
    it is the real one: ``ignored_auth`` then removes or spoils it to see the API refuse."""
    sent = case.headers if isinstance(case.headers, dict) else {}
    case.headers = {k: v for k, v in sent.items() if k.lower() != "authorization"} | headers
    if isinstance(case.cookies, dict):
        case.cookies.pop("sessionid", None)
    case._has_explicit_auth = True


def _why(response) -> str:
    if os.environ.get("CONTRACT_VERBOSE"):
        return f" {response.text[:200]}"
    return ""


@pytest.mark.django_db(transaction=False)
def test_every_check_passes_for_every_operation(
    api_schema,  # noqa: F811
    rep,
    team,
    other_rep,
    other_team,
    settings,
    keep_test_connection,  # noqa: F811
):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    ids = _book_of(rep)
    _book_of(other_rep)
    references = {
        "customer": ids["customers"],
        "deal": ids["deals"],
        "product": ids["products"],
        "owner": rep.pk,
        "rep": rep.pk,
        "team": team.pk,
    }
    token = Token.objects.create(user=rep)
    headers = {"Authorization": f"Token {token.key}"}
    app = get_wsgi_application()
    # Checks that send requests of their own (without the token, with another method) send them
    # to the same in-process app.
    api_schema.app = app
    checks = all_checks()
    assert {c.__name__ for c in checks} >= {
        "not_a_server_error",
        "response_schema_conformance",
        "status_code_conformance",
        "negative_data_rejection",
        "ignored_auth",
    }
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        prefix = operation.path.split("/")[2]
        real = {"id": ids[prefix]} if "{id}" in operation.path else None
        failures += _failures(operation, GenerationMode.POSITIVE, app, headers, real, checks, references)
        failures += _failures(operation, GenerationMode.NEGATIVE, app, headers, None, checks, references)
    assert not failures, "\n".join(sorted(set(failures)))
