"""Lost reasons become a managed list: each lost deal's text names a reason of the list, or is kept as
the note of "Other"; the history of the text follows it to the note. No text is lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("sales", "0013_deal_contact"), ("history", "0002_changelog_table")]
AFTER = [("sales", "0014_reopen_and_lost_reasons")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _deal(apps, customer, owner, stage, *, status, text, title):
    return apps.get_model("sales", "Deal").objects.create(
        customer=customer,
        owner=owner,
        title=title,
        stage=stage,
        probability=10,
        status=status,
        lost_reason=text,
        opened_on="2026-01-05",
        closed_on=None if status == "open" else "2026-02-01",
    )


@pytest.mark.django_db(transaction=True)
def test_lost_deals_keep_their_reason_text():
    old = migrate(BEFORE)
    owner = old.get_model("auth", "User").objects.create(username="rep")
    customer = old.get_model("customers", "Customer").objects.create(name="Acme", owner=owner)
    stage = old.get_model("sales", "Stage").objects.get(key="choose")
    named = _deal(old, customer, owner, stage, status="lost", text="no budget", title="Named")
    free = _deal(old, customer, owner, stage, status="lost", text="Moved abroad", title="Free")
    still_open = _deal(old, customer, owner, stage, status="open", text="", title="Open")
    ContentType = old.get_model("contenttypes", "ContentType")
    deal_type, _ = ContentType.objects.get_or_create(app_label="sales", model="deal")
    old.get_model("history", "ChangeLog").objects.create(
        content_type=deal_type,
        object_id=free.pk,
        action="updated",
        changes={"status": ["open", "lost"], "lost_reason": ["", "Moved abroad"]},
    )

    new = migrate(AFTER)
    Deal = new.get_model("sales", "Deal")
    named, free, still_open = (Deal.objects.get(pk=d.pk) for d in (named, free, still_open))
    assert (named.lost_reason.name, named.lost_note) == ("No budget", "")
    assert (free.lost_reason.name, free.lost_note) == ("Other", "Moved abroad")
    assert (still_open.lost_reason, still_open.lost_note) == (None, "")
    row = new.get_model("history", "ChangeLog").objects.get(object_id=free.pk)
    assert row.changes == {"status": ["open", "lost"], "lost_note": ["", "Moved abroad"]}

    back = migrate(BEFORE)
    texts = dict(back.get_model("sales", "Deal").objects.values_list("title", "lost_reason"))
    assert texts == {"Named": "No budget", "Free": "Moved abroad", "Open": ""}
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
