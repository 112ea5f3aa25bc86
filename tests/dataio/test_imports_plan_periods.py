"""Plans whose period is a month, quarter or year written as text; co-managers import team plans."""

import datetime
from decimal import Decimal

import pytest

from dataio.imports import Mapping, MappingError, run_import
from dataio.imports.values import parse_period
from sales.models import SalesPlan

D = datetime.date


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("Apr-18", D(2018, 4, 1), D(2018, 4, 30)),
        ("april 2018", D(2018, 4, 1), D(2018, 4, 30)),
        ("2018-04", D(2018, 4, 1), D(2018, 4, 30)),
        ("04/2018", D(2018, 4, 1), D(2018, 4, 30)),
        ("2/2020", D(2020, 2, 1), D(2020, 2, 29)),
        ("Dec-18", D(2018, 12, 1), D(2018, 12, 31)),
        ("2018-Q2", D(2018, 4, 1), D(2018, 6, 30)),
        ("Q4 2018", D(2018, 10, 1), D(2018, 12, 31)),
        ("2018", D(2018, 1, 1), D(2018, 12, 31)),
    ],
)
def test_a_period_written_as_text_gives_its_first_and_last_day(text, start, end):
    assert parse_period(text) == (start, end)


@pytest.mark.parametrize("text", ["13/2018", "Foo-18", "2018-Q5", "18", "2018-04-01", "Apr"])
def test_a_period_that_is_no_month_quarter_or_year_is_refused_with_the_forms_it_takes(text):
    with pytest.raises(ValueError, match="is not a period such as Apr-18"):
        parse_period(text)


MAPPING = {
    "kind": "plans",
    "fields": {
        "external_id": "Id",
        "name": "Name",
        "period": "Month",
        "team": "Team",
        "product_category": "Category",
        "target_ratio": "M",
        "activity_ratio": "P",
        "revenue_quota": "Quota",
    },
}


def test_a_period_column_sets_start_and_end_and_bad_ones_are_reported_by_row(admin_user, team):
    data = (
        "Id,Name,Month,Team,Category,M,P,Quota\n"
        "A,North April,Apr-18,North,Hardware,0.5,0.6,1000\n"
        "B,North Q3,2018-Q3,North,,0.5,0.6,3000\n"
        "C,North May,05/2018,North,Services,0.5,0.6,2000\n"
    )
    report = run_import(data.encode(), "p.csv", Mapping.from_dict(MAPPING), user=admin_user)
    assert report.committed, report.problems
    plans = {p.external_id: p for p in SalesPlan.objects.all()}
    assert (plans["A"].period_start, plans["A"].period_end, plans["A"].product_category) == (
        D(2018, 4, 1),
        D(2018, 4, 30),
        "Hardware",
    )
    assert (plans["B"].period_start, plans["B"].period_end) == (D(2018, 7, 1), D(2018, 9, 30))
    assert plans["C"].revenue_quota == Decimal("2000.00")
    bad = (
        "Id,Name,Month,Team,Category,M,P,Quota\nD,Bad,Smarch-18,North,,0.5,0.6,1\nE,Empty,,North,,0.5,0.6,1\n"
    )
    report = run_import(bad.encode(), "p.csv", Mapping.from_dict(MAPPING), user=admin_user)
    assert [(p.row, p.column) for p in report.problems] == [(2, "Month"), (3, "Month")]
    assert "Smarch-18" in report.problems[0].reason


def test_a_plan_mapping_needs_a_period_or_both_dates():
    fields = {k: v for k, v in MAPPING["fields"].items() if k != "period"}
    with pytest.raises(MappingError, match="or a period column"):
        Mapping.from_dict({"kind": "plans", "fields": {**fields, "period_start": "From"}})
    Mapping.from_dict({"kind": "plans", "fields": {**fields, "period_start": "From", "period_end": "To"}})


def test_a_co_manager_imports_plans_for_the_team_but_not_for_another(team, other_team, co_manager):
    data = "Id,Name,Month,Team,Category,M,P,Quota\nA,North,Apr-18,North,,0.5,0.6,1000\n"
    report = run_import(data.encode(), "p.csv", Mapping.from_dict(MAPPING), user=co_manager)
    assert report.committed, report.problems
    other = data.replace("North,,", f"{other_team.name},,").replace("A,", "B,")
    report = run_import(other.encode(), "p.csv", Mapping.from_dict(MAPPING), user=co_manager)
    assert [p.column for p in report.problems] == ["Name"]


@pytest.fixture
def co_manager(team):
    from tests.factories import ManagerFactory

    user = ManagerFactory()
    team.managers.add(user)
    return user
