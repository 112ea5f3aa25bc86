"""A team may have several managers: each co-manager sees and plans for the team like its manager."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from customers.models import Customer
from people.models import Team
from people.visibility import is_manager, visible_owners
from sales.models import Deal, SalesPlan
from tests.factories import DealFactory, ManagerFactory, RepFactory, SalesPlanFactory, UserFactory


@pytest.fixture
def co_manager(team):
    # A plain user: managing the team is what makes them a manager, not a group.
    user = UserFactory(username="co_manager")
    team.managers.add(user)
    return user


@pytest.fixture
def books(rep, other_rep, team, other_team):
    return {
        "rep": DealFactory(owner=rep, customer__owner=rep),
        "other_rep": DealFactory(owner=other_rep, customer__owner=other_rep),
    }


def test_a_co_manager_sees_the_teams_records(co_manager, books):
    assert is_manager(co_manager)
    seen = set(Deal.objects.visible_to(co_manager).values_list("owner__username", flat=True))
    assert seen == {"rep"}
    assert set(Customer.objects.visible_to(co_manager).values_list("owner__username", flat=True)) == {"rep"}
    assert list(Team.objects.visible_to(co_manager).values_list("name", flat=True)) == ["North"]


def test_a_manager_of_no_team_does_not_see_the_teams_records(books):
    stranger = UserFactory(username="stranger")
    assert not is_manager(stranger)
    assert not Deal.objects.visible_to(stranger).exists()
    assert not Team.objects.visible_to(stranger).exists()
    other = ManagerFactory(username="other")
    assert not Deal.objects.visible_to(other).exists()


def test_a_co_manager_of_another_team_does_not_see_this_team(other_team, books):
    user = UserFactory(username="south_co")
    other_team.managers.add(user)
    seen = set(Deal.objects.visible_to(user).values_list("owner__username", flat=True))
    assert seen == {"other_rep"}


def test_a_co_manager_sees_and_may_change_the_teams_plans(co_manager, team, rep, other_rep, other_team):
    ours = SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep)
    theirs = SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=other_rep)
    team_plan = SalesPlanFactory(scope=SalesPlan.Scope.TEAM, team=team)
    visible = set(SalesPlan.objects.visible_to(co_manager))
    assert ours in visible and team_plan in visible and theirs not in visible
    assert team.is_managed_by(co_manager)
    assert not other_team.is_managed_by(co_manager)


def test_visible_owners_are_the_members_for_a_manager_who_is_also_a_co_manager(manager, rep, team):
    team.managers.add(manager)
    second = RepFactory(username="second")
    team.members.add(second)
    owners = list(visible_owners(manager))
    assert sorted(o["pk"] for o in owners if o["pk"] != manager.pk) == sorted({rep.pk, second.pk})


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_each_primary_manager_one_of_the_managers():
    executor = MigrationExecutor(connection)
    executor.migrate([("people", "0002_team_tables")])
    old = executor.loader.project_state([("people", "0002_team_tables")]).apps
    boss = old.get_model("auth", "User").objects.create(username="boss")
    old.get_model("people", "Team").objects.create(name="North", manager=boss)

    executor = MigrationExecutor(connection)
    executor.migrate([("people", "0003_team_managers")])
    new = executor.loader.project_state([("people", "0003_team_managers")]).apps
    team = new.get_model("people", "Team").objects.get()
    assert list(team.managers.values_list("username", flat=True)) == ["boss"]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_co_manager_changes_the_teams_plans_through_the_api(co_manager, team, rep, other_rep, other_team):
    ours = SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=rep)
    team_plan = SalesPlanFactory(scope=SalesPlan.Scope.TEAM, team=team)
    theirs = SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=other_rep)
    api = APIClient()
    api.force_authenticate(co_manager)
    assert api.patch(f"/api/plans/{ours.pk}/", {"target_ratio": "0.7"}, format="json").status_code == 200
    assert api.patch(f"/api/plans/{team_plan.pk}/", {"target_ratio": "0.8"}, format="json").status_code == 200
    assert api.patch(f"/api/plans/{theirs.pk}/", {"target_ratio": "0.9"}, format="json").status_code == 404
    created = api.post(
        "/api/plans/",
        {
            "name": "North Q1",
            "scope": "team",
            "team": team.pk,
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
            "target_ratio": "0.5",
            "activity_ratio": "0.5",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
