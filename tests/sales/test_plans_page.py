"""The plans page: managers set targets per rep or team and period in place; reps read their own."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from history.models import ChangeLog
from sales.models import SalesPlan
from sales.planning import MONTH, QUARTER, Window, period_from, window_from
from tests.factories import ManagerFactory, RepFactory, SalesPlanFactory, TeamFactory

JAN = {"start": "2027-01-01", "end": "2027-01-31", "period": "month", "year": "2027", "quarter": "1"}
GOOD = {"revenue_quota": "12000", "activities_quota": "40", "target_ratio": "0.5", "activity_ratio": "0.6"}
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "plan-rep-1"}


def rep_plan(rep, start, end, **kwargs) -> SalesPlan:
    return SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep, period_start=start, period_end=end, **kwargs)


def test_windows_follow_each_other_and_cells_are_whole_periods():
    q4 = Window(MONTH, 2026, 4)
    assert [p.label for p in q4.periods] == ["2026-10", "2026-11", "2026-12"]
    assert q4.following() == Window(MONTH, 2027, 1)
    assert Window(MONTH, 2027, 1).preceding() == q4
    assert [p.end for p in Window(QUARTER, 2028, None).periods][0] == datetime.date(2028, 3, 31)
    assert period_from({"start": "2027-02-01", "end": "2027-02-28"}).label == "2027-02"
    assert period_from({"start": "2027-02-01", "end": "2027-03-31"}) is None
    assert period_from({"start": "junk", "end": ""}) is None
    assert window_from(
        {"period": "month", "year": "99999", "quarter": "7"}, datetime.date(2027, 5, 1)
    ) == Window(MONTH, 2027, None)


def test_the_manager_sets_a_cell_and_the_change_is_in_the_history(manager_client, manager, rep):
    url = f"/plans/reps/{rep.pk}/cell/"
    response = manager_client.post(url, {**JAN, **GOOD}, **HTMX)
    assert response.status_code == 200
    plan = SalesPlan.objects.get(rep=rep)
    assert (plan.period_start, plan.period_end) == (datetime.date(2027, 1, 1), datetime.date(2027, 1, 31))
    assert (plan.revenue_quota, plan.activities_quota) == (Decimal("12000"), 40)
    assert (plan.target_ratio, plan.activity_ratio) == (Decimal("0.5"), Decimal("0.6"))
    html = response.content.decode()
    assert "12,000.00" in html and 'hx-swap-oob="true"' in html
    log = ChangeLog.objects.get(content_type=ContentType.objects.get_for_model(SalesPlan), object_id=plan.pk)
    assert log.changed_by == manager

    # Saving the same cell again changes that plan rather than adding one.
    manager_client.post(url, {**JAN, **GOOD, "revenue_quota": "15000"}, **HTMX)
    assert SalesPlan.objects.get(rep=rep).revenue_quota == Decimal("15000")
    assert ChangeLog.objects.filter(object_id=plan.pk, action="updated").exists()


def test_the_edit_form_opens_with_the_cells_values(manager_client, rep):
    rep_plan(rep, datetime.date(2027, 1, 1), datetime.date(2027, 1, 31), revenue_quota=Decimal("7000"))
    response = manager_client.get(f"/plans/reps/{rep.pk}/cell/", JAN, **HTMX)
    html = response.content.decode()
    assert 'value="7000.00"' in html and "data-plan-cancel" in html
    assert "<html" not in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("revenue_quota", "-5", "A quota cannot be negative."),
        ("activities_quota", "-1", "A quota cannot be negative."),
        ("target_ratio", "", "Enter the target ratio M."),
        ("activity_ratio", "lots", "Enter a number."),
    ],
)
def test_a_bad_value_re_renders_the_form_with_its_message_and_keeps_the_input(
    manager_client, rep, field, value, message
):
    data = {**JAN, **GOOD, field: value}
    response = manager_client.post(f"/plans/reps/{rep.pk}/cell/", data, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "is-invalid" in html
    for name in GOOD:  # every input comes back as typed, the wrong one too
        assert f'name="{name}"' in html and f'value="{data[name]}"' in html
    assert not SalesPlan.objects.exists()


def test_without_htmx_a_save_redirects_to_the_page_and_errors_show_on_a_page(manager_client, rep):
    response = manager_client.post(f"/plans/reps/{rep.pk}/cell/", {**JAN, **GOOD})
    assert response.status_code == 302
    assert response["Location"].startswith("/plans/?period=month&year=2027&quarter=1")
    response = manager_client.post(f"/plans/reps/{rep.pk}/cell/", {**JAN, **GOOD, "revenue_quota": "-1"})
    assert response.status_code == 200
    assert "A quota cannot be negative." in response.content.decode()


def test_a_cell_without_a_whole_period_is_a_bad_request_not_an_error(manager_client, rep):
    response = manager_client.post(
        f"/plans/reps/{rep.pk}/cell/", {**GOOD, "start": "2027-01-03", "end": "2027-01-31"}
    )
    assert response.status_code == 400
    assert not SalesPlan.objects.exists()


def test_the_page_shows_the_cells_with_totals(manager_client, rep, team):
    second = RepFactory(username="second", first_name="Zed")
    team.members.add(second)
    rep_plan(rep, datetime.date(2027, 1, 1), datetime.date(2027, 1, 31), revenue_quota=Decimal("100"))
    rep_plan(rep, datetime.date(2027, 2, 1), datetime.date(2027, 2, 28), revenue_quota=Decimal("50"))
    rep_plan(second, datetime.date(2027, 1, 1), datetime.date(2027, 1, 31), revenue_quota=Decimal("25"))
    response = manager_client.get("/plans/", {"period": "month", "year": "2027", "quarter": "1"})
    grid = response.context["grid"]
    assert [r.pk for r in grid.rows] == sorted([rep.pk, second.pk], key=[rep.pk, second.pk].index)
    totals = {r.pk: r.total.revenue for r in grid.rows}
    assert totals == {rep.pk: Decimal("150"), second.pk: Decimal("25")}
    assert [c.total.revenue for c in grid.columns] == [Decimal("125"), Decimal("50"), None]
    assert grid.total.revenue == Decimal("175")
    html = response.content.decode()
    assert "hx-get" in html and "plan-copy-forward" in html


def test_the_grid_shows_quarters_and_a_category(manager_client, rep):
    SalesPlanFactory(
        scope=SalesPlan.Scope.REP,
        rep=rep,
        period_start=datetime.date(2027, 4, 1),
        period_end=datetime.date(2027, 6, 30),
        product_category="Licences",
        revenue_quota=Decimal("900"),
    )
    by_quarter = manager_client.get("/plans/", {"period": "quarter", "year": "2027", "category": "Licences"})
    cells = by_quarter.context["grid"].rows[0].cells
    assert [c.plan is not None for c in cells] == [False, True, False, False]
    all_categories = manager_client.get("/plans/", {"period": "quarter", "year": "2027"})
    assert all_categories.context["grid"].planned == 0
    assert "Licences" in all_categories.context["categories"]


def test_an_empty_grid_says_what_to_do(manager_client, rep):
    html = manager_client.get("/plans/", {"year": "2027", "quarter": "1"}).content.decode()
    assert "No plans for 2027 Q1 yet" in html


def test_a_manager_without_a_team_is_told_who_adds_people(client, db):
    client.force_login(ManagerFactory(username="lonely"))
    html = client.get("/plans/").content.decode()
    assert "No reps to plan for yet. An admin adds people to your teams, or imports them." in html
    teams = client.get("/plans/", {"level": "team"}).content.decode()
    assert "No teams to plan for." in teams


def test_copy_forward_copies_into_the_next_quarter_and_skips_cells_that_have_a_plan(
    manager_client, rep, team
):
    second = RepFactory(username="second")
    team.members.add(second)
    month_end = {1: 31, 2: 28}
    for rep_, month in ((rep, 1), (rep, 2), (second, 1)):
        start, end = datetime.date(2027, month, 1), datetime.date(2027, month, month_end[month])
        rep_plan(rep_, start, end, revenue_quota=Decimal(month * 100), activities_quota=3)
    # The second rep's April already has a plan: copying must keep it.
    rep_plan(second, datetime.date(2027, 4, 1), datetime.date(2027, 4, 30), revenue_quota=Decimal("1"))

    response = manager_client.post(
        "/plans/copy-forward/",
        {"period": "month", "year": "2027", "quarter": "1", "level": "rep"},
        follow=True,
    )
    html = response.content.decode()
    assert "Copied 2 plans to 2027 Q2." in html
    assert "Skipped 1 that already had a plan." in html
    assert response.redirect_chain[-1][0].startswith("/plans/?period=month&year=2027&quarter=2")
    april = SalesPlan.objects.filter(period_start=datetime.date(2027, 4, 1))
    assert sorted(april.values_list("revenue_quota", flat=True)) == [Decimal("1"), Decimal("100")]
    may = SalesPlan.objects.get(period_start=datetime.date(2027, 5, 1))
    assert (may.rep, may.period_end, may.revenue_quota, may.activities_quota) == (
        rep,
        datetime.date(2027, 5, 31),
        Decimal("200"),
        3,
    )


def test_a_rep_reads_their_own_plans_without_edit_controls(rep_client, rep, other_rep, team):
    rep_plan(rep, datetime.date(2027, 1, 1), datetime.date(2027, 1, 31), revenue_quota=Decimal("4321"))
    rep_plan(other_rep, datetime.date(2027, 1, 1), datetime.date(2027, 1, 31), revenue_quota=Decimal("9999"))
    response = rep_client.get("/plans/", {"year": "2027", "quarter": "1"})
    html = response.content.decode()
    assert [r.pk for r in response.context["grid"].rows] == [rep.pk]
    assert "4,321.00" in html and "9,999.00" not in html
    assert "plan-cell-button" not in html and "plan-copy-forward" not in html
    assert rep_client.post(f"/plans/reps/{rep.pk}/cell/", {**JAN, **GOOD}).status_code == 403
    assert rep_client.post(f"/plans/reps/{other_rep.pk}/cell/", {**JAN, **GOOD}).status_code == 404
    assert rep_client.post(f"/plans/teams/{team.pk}/cell/", {**JAN, **GOOD}).status_code == 403
    assert rep_client.post("/plans/copy-forward/", {"year": "2027", "quarter": "1"}).status_code == 403
    assert SalesPlan.objects.count() == 2


def test_a_manager_cannot_touch_another_teams_rep_or_team(manager_client, other_rep, other_team):
    assert manager_client.post(f"/plans/reps/{other_rep.pk}/cell/", {**JAN, **GOOD}).status_code == 404
    assert manager_client.get(f"/plans/reps/{other_rep.pk}/cell/", JAN).status_code == 404
    assert manager_client.post(f"/plans/teams/{other_team.pk}/cell/", {**JAN, **GOOD}).status_code == 404
    assert not SalesPlan.objects.exists()
    rows = manager_client.get("/plans/").context["grid"].rows
    assert other_rep.pk not in [r.pk for r in rows]


def test_a_manager_cannot_plan_for_a_team_they_only_belong_to(manager_client, manager, team):
    elsewhere = TeamFactory(name="Elsewhere", members=[manager])
    assert manager_client.post(f"/plans/teams/{elsewhere.pk}/cell/", {**JAN, **GOOD}).status_code == 404
    assert not SalesPlan.objects.exists()


def test_a_co_manager_plans_for_the_team(client, rep, team):
    co = RepFactory(username="co")
    team.managers.add(co)
    client.force_login(co)
    assert client.post(f"/plans/reps/{rep.pk}/cell/", {**JAN, **GOOD}, **HTMX).status_code == 200
    assert client.post(f"/plans/teams/{team.pk}/cell/", {**JAN, **GOOD}, **HTMX).status_code == 200
    assert SalesPlan.objects.filter(team=team, scope="team").exists()


def test_the_admin_sees_and_sets_everyones_plans(admin_client_, rep, other_rep, team, other_team):
    rows = admin_client_.get("/plans/").context["grid"].rows
    assert {rep.pk, other_rep.pk} <= {r.pk for r in rows}
    teams = admin_client_.get("/plans/", {"level": "team"}).context["grid"].rows
    assert {r.label for r in teams} == {"North", "South"}
    response = admin_client_.post(f"/plans/teams/{other_team.pk}/cell/", {**JAN, **GOOD}, **HTMX)
    assert response.status_code == 200
    assert SalesPlan.objects.get().team == other_team


@pytest.fixture(params=[4, 8], ids=["N", "2N"])
def planned_reps(request, team):
    reps = RepFactory.create_batch(request.param // 2)
    team.members.add(*reps)
    for rep_ in reps:
        for month in (1, 2):
            start = datetime.date(2027, month, 1)
            end = datetime.date(2027, month, 31 if month == 1 else 28)
            rep_plan(rep_, start, end, revenue_quota=Decimal("10"))
    return reps


def test_the_page_runs_a_fixed_number_of_queries(manager_client, planned_reps, django_assert_num_queries):
    # Queries: session, user, the manager's groups (is_manager), the plannable reps, the plans of
    # their cells, the categories; the navigation's role checks are cached on the user.
    with django_assert_num_queries(6):
        response = manager_client.get("/plans/", {"period": "month", "year": "2027", "quarter": "1"})
    assert response.context["grid"].planned == len(planned_reps) * 2


def test_saving_a_cell_runs_a_fixed_number_of_queries(
    manager_client, rep, planned_reps, django_assert_num_queries
):
    # Queries: session, user, the rep may be seen, the role (groups), the rep is the manager's to
    # plan, the cell's plan for the form; the save (savepoint, the cell's plan read again inside the
    # transaction, insert, history row, release); the grid's rows and plans for the new totals.
    url = f"/plans/reps/{rep.pk}/cell/"
    with django_assert_num_queries(13) as captured:
        response = manager_client.post(url, {**JAN, **GOOD}, **HTMX)
    assert response.status_code == 200, [q["sql"][:80] for q in captured.captured_queries]
