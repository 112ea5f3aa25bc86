"""Teams moved from the sales app to the people app: every row, membership and plan comes along."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("sales", "0003_change_log"), ("customers", "0001_initial")]
AFTER = [("people", "0002_team_tables"), ("sales", "0004_team_moves_to_people")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_teams_members_and_plans_survive_the_move_to_people():
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    boss = User.objects.create(username="boss")
    rep = User.objects.create(username="rep")
    team = old.get_model("sales", "Team").objects.create(name="North", manager=boss)
    team.members.add(rep)
    old.get_model("sales", "SalesPlan").objects.create(
        name="Q1",
        scope="team",
        team=team,
        period_start="2026-01-01",
        period_end="2026-03-31",
        revenue_quota=1000,
        target_ratio=1,
        activity_ratio=1,
    )
    ContentType = old.get_model("contenttypes", "ContentType")
    ContentType.objects.get_or_create(app_label="sales", model="team")

    new = migrate(AFTER)
    moved = new.get_model("people", "Team").objects.get()
    assert (moved.pk, moved.name, moved.manager_id) == (team.pk, "North", boss.pk)
    assert list(moved.members.values_list("username", flat=True)) == ["rep"]
    assert new.get_model("sales", "SalesPlan").objects.get().team_id == team.pk
    types = new.get_model("contenttypes", "ContentType").objects.filter(model="team")
    assert set(types.values_list("app_label", flat=True)) == {"people"}
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
