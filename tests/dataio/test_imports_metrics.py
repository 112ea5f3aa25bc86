"""The dashboard's figures over imported history equal the same figures worked out from the file."""

import datetime
import statistics
from collections import defaultdict
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from dataio.imports import run_import
from sales.metrics import Scope, deal_summary, leaderboard, sales_cycle, visible_sources
from tests.dataio.imports_helpers import deals_mapping, deals_rows, deals_text
from tests.factories import RepFactory

PERIODS = {
    "2017": (datetime.date(2017, 1, 1), datetime.date(2017, 12, 31)),
    "2018": (datetime.date(2018, 1, 1), datetime.date(2018, 12, 31)),
    "all": (datetime.date(2000, 1, 1), datetime.date(2030, 12, 31)),
}


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _from_file(start, end) -> dict:
    """Plain Python over the source rows: no CRM code involved."""
    closed = [
        r for r in deals_rows() if r["Closed"] and start <= datetime.date.fromisoformat(r["Closed"]) <= end
    ]
    won = [r for r in closed if r["Stage"] == "Won"]
    lost = [r for r in closed if r["Stage"] == "Lost"]
    cycles = [
        (datetime.date.fromisoformat(r["Closed"]) - datetime.date.fromisoformat(r["Opened"])).days
        for r in won
    ]
    per_owner = defaultdict(lambda: [Decimal("0"), 0, 0])
    for r in won:
        per_owner[r["Rep"]][0] += _money(r["Value"])
        per_owner[r["Rep"]][1] += 1
    for r in lost:
        per_owner[r["Rep"]][2] += 1
    return {
        "won_revenue": sum((_money(r["Value"]) for r in won), Decimal("0")),
        "won": len(won),
        "lost": len(lost),
        "win_rate": Decimal(len(won)) / Decimal(len(won) + len(lost)) if won or lost else None,
        "mean_cycle": Decimal(sum(cycles)) / len(cycles) if cycles else None,
        "median_cycle": Decimal(str(statistics.median(cycles))) if cycles else None,
        "per_owner": {name: tuple(v) for name, v in per_owner.items()},
    }


@pytest.mark.parametrize("period", PERIODS)
def test_the_metrics_over_imported_deals_equal_the_figures_from_the_file(admin_user, period):
    RepFactory(username="alice")
    RepFactory(username="bob")
    report = run_import(deals_text().encode("utf-16"), "deals.csv", deals_mapping(), user=admin_user)
    assert report.committed, report.problems
    start, end = PERIODS[period]
    expected = _from_file(start, end)
    sources = visible_sources(admin_user)
    scope = Scope(start=start, end=end)

    summary = deal_summary(sources, scope)
    assert summary.won_revenue == expected["won_revenue"]
    assert (summary.deals_won, summary.deals_lost) == (expected["won"], expected["lost"])
    assert summary.win_rate == expected["win_rate"].quantize(Decimal("0.0001"))

    cycle = sales_cycle(sources, scope)
    assert cycle.deals == expected["won"]
    assert cycle.mean_days == expected["mean_cycle"].quantize(Decimal("0.1"))
    assert cycle.median_days == expected["median_cycle"].quantize(Decimal("0.1"))

    by_username = {
        row.owner_id: (row.won_revenue, row.deals_won, row.deals_lost)
        for row in leaderboard(sources, scope, {})
    }
    names = dict(get_user_model().objects.values_list("pk", "username"))
    assert {names[pk]: v for pk, v in by_username.items()} == expected["per_owner"]


def test_a_deal_won_in_2017_counts_in_2017_and_not_in_2018(admin_user):
    RepFactory(username="alice")
    RepFactory(username="bob")
    run_import(deals_text().encode(), "deals.csv", deals_mapping(), user=admin_user)
    sources = visible_sources(admin_user)
    in_2017 = deal_summary(sources, Scope(*PERIODS["2017"]))
    in_2018 = deal_summary(sources, Scope(*PERIODS["2018"]))
    # D-008 opened in 2017 and was won on 2018-02-28: it belongs to 2018 only.
    assert in_2017.won_revenue == Decimal("12500.00") + Decimal("3250.00") + Decimal("7000.00")
    assert in_2018.won_revenue == Decimal("22750.25") + Decimal("980.00")
