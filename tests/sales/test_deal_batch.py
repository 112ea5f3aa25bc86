"""The deal list's action bar: several deals moved, won, lost or reassigned at once, all or none."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from history.models import ChangeLog
from sales.models import Deal, SalesRecord, Stage, StageChange
from tests.factories import CustomerFactory, DealFactory

pytestmark = pytest.mark.django_db

BATCH = reverse("sales:deal_batch")
LIST = reverse("sales:deal_list")


def _deals(owner, n: int, **kwargs) -> list[Deal]:
    customer = CustomerFactory(owner=owner)
    return [DealFactory(customer=customer, owner=owner, title=f"Deal {i}", **kwargs) for i in range(n)]


def _ticked(*deals) -> list[str]:
    return [f"{d.pk}:{d.version}" for d in deals]


def _message(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_list_has_a_checkbox_per_row_and_the_action_bar(rep_client, rep):
    deals = _deals(rep, 2)
    html = rep_client.get(LIST).content.decode()
    for d in deals:
        assert f'name="deals" value="{d.pk}:{d.version}" form="deal-batch"' in html
    assert 'data-check-all="deals"' in html
    assert f'action="{BATCH}"' in html
    assert 'value="reassign"' not in html  # a rep reassigns nothing


def test_moving_several_deals_records_each_move(rep_client, rep):
    deals = _deals(rep, 3)
    choose = Stage.objects.get(key="choose")
    post = {"deals": _ticked(*deals[:2]), "action": "move", "stage": "choose", "next": f"{LIST}?q=Deal"}
    response = rep_client.post(BATCH, post, follow=True)
    assert response.redirect_chain[-1][0] == f"{LIST}?q=Deal"
    assert "2 deals moved to Choose." in _message(response)
    for d in deals[:2]:
        d.refresh_from_db()
        assert (d.stage, d.version) == (choose, 2)
        assert StageChange.objects.filter(deal=d, to_stage=choose, changed_by=rep).count() == 1
        assert ChangeLog.objects.filter(object_id=d.pk, changes__has_key="stage", changed_by=rep).exists()
    deals[2].refresh_from_db()
    assert deals[2].stage.key == "lead"


def test_winning_several_deals_records_their_sales(rep_client, rep):
    deals = _deals(rep, 2)
    response = rep_client.post(BATCH, {"deals": _ticked(*deals), "action": "won"}, follow=True)
    assert "2 deals won." in _message(response)
    assert set(Deal.objects.values_list("status", flat=True)) == {"won"}
    assert SalesRecord.objects.filter(deal__in=deals).count() == 2


def test_marking_several_deals_lost_keeps_the_reason(rep_client, rep):
    deals = _deals(rep, 2)
    post = {"deals": _ticked(*deals), "action": "lost", "reason": "  Budget   cut "}
    response = rep_client.post(BATCH, post, follow=True)
    assert "2 deals marked lost." in _message(response)
    # Text that names no reason of the list is kept as the note of "Other".
    lost = set(Deal.objects.values_list("status", "lost_reason__name", "lost_note"))
    assert lost == {("lost", "Other", "Budget cut")}
    assert StageChange.objects.filter(status="lost").count() == 2


def test_marking_lost_needs_a_reason(rep_client, rep):
    deals = _deals(rep, 1)
    response = rep_client.post(BATCH, {"deals": _ticked(*deals), "action": "lost"}, follow=True)
    assert "Say why the deals were lost." in _message(response)
    assert Deal.objects.get().status == "open"


def test_a_manager_reassigns_deals_and_the_history_says_so(manager_client, manager, rep):
    deals = _deals(rep, 2)
    post = {"deals": _ticked(*deals), "action": "reassign", "owner": manager.pk}
    response = manager_client.post(BATCH, post, follow=True)
    assert "2 deals reassigned to" in _message(response)
    for d in deals:
        d.refresh_from_db()
        assert d.owner == manager
        log = ChangeLog.objects.filter(object_id=d.pk, action="updated", changes__has_key="owner").get()
        assert log.changed_by == manager


def test_a_rep_cannot_reassign(rep_client, rep, other_rep):
    deals = _deals(rep, 2)
    post = {"deals": _ticked(*deals), "action": "reassign", "owner": other_rep.pk}
    response = rep_client.post(BATCH, post, follow=True)
    assert "Nothing changed" in _message(response)
    assert set(Deal.objects.values_list("owner", flat=True)) == {rep.pk}


def test_a_manager_cannot_give_deals_to_someone_outside_their_team(manager_client, rep, other_rep):
    deals = _deals(rep, 1)
    post = {"deals": _ticked(*deals), "action": "reassign", "owner": other_rep.pk}
    response = manager_client.post(BATCH, post, follow=True)
    assert "Nothing changed" in _message(response)
    assert Deal.objects.get().owner == rep


def test_a_stale_deal_changes_nothing_and_is_named(rep_client, rep):
    deals = _deals(rep, 3)
    ticked = _ticked(*deals)
    deals[2].move_to(Stage.objects.get(key="understand"), by=rep)  # someone moved it meanwhile
    before = StageChange.objects.count(), ChangeLog.objects.count()
    response = rep_client.post(BATCH, {"deals": ticked, "action": "move", "stage": "choose"}, follow=True)
    assert "Nothing changed: “Deal 2” was changed by someone else" in _message(response)
    assert list(
        Deal.objects.filter(pk__in=[d.pk for d in deals[:2]]).values_list("stage__key", flat=True)
    ) == [
        "lead",
        "lead",
    ]
    assert (StageChange.objects.count(), ChangeLog.objects.count()) == before


def test_a_deal_the_rules_refuse_changes_nothing_and_is_named(rep_client, rep):
    deals = _deals(rep, 2)
    deals[1].mark_lost("Gone quiet", by=rep)
    deals[1].refresh_from_db()
    response = rep_client.post(BATCH, {"deals": _ticked(*deals), "action": "won"}, follow=True)
    assert "Nothing changed: “Deal 1”: Only an open deal can be won." in _message(response)
    deals[0].refresh_from_db()
    assert deals[0].status == "open"
    assert not SalesRecord.objects.exists()


def test_another_reps_deal_refuses_the_whole_batch(rep_client, rep, other_rep):
    mine = _deals(rep, 1)
    theirs = _deals(other_rep, 1)
    post = {"deals": _ticked(*mine, *theirs), "action": "move", "stage": "choose"}
    response = rep_client.post(BATCH, post, follow=True)
    assert f"deal #{theirs[0].pk} is not one you may change" in _message(response)
    assert set(Deal.objects.values_list("stage__key", flat=True)) == {"lead"}


@pytest.mark.parametrize("bad", ["abc", "1", "1:x", "-1:1", f"{2**70}:1"])
def test_a_damaged_selection_is_refused_without_error(rep_client, rep, bad):
    _deals(rep, 1)
    response = rep_client.post(BATCH, {"deals": [bad], "action": "won"}, follow=True)
    assert response.status_code == 200
    assert "Nothing changed" in _message(response)
    assert Deal.objects.get().status == "open"


def test_nothing_ticked_is_refused(rep_client, rep):
    response = rep_client.post(BATCH, {"action": "won"}, follow=True)
    assert "Select at least one deal." in _message(response)


def test_the_next_page_stays_on_the_deal_list(rep_client, rep):
    deals = _deals(rep, 1)
    post = {"deals": _ticked(*deals), "action": "won", "next": "https://evil.example/deals/"}
    assert rep_client.post(BATCH, post)["Location"] == LIST


def test_the_batch_needs_the_csrf_token(rep, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(rep)
    deals = _deals(rep, 1)
    response = csrf_client.post(BATCH, {"deals": _ticked(*deals), "action": "won"})
    assert response.status_code == 403
    assert Deal.objects.get().status == "open"


def _batch_queries(client, deals, action: str, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(BATCH, {"deals": _ticked(*deals), "action": action, **extra})
    assert response.status_code == 302
    return len(queries)


@pytest.mark.parametrize(
    ("action", "extra"),
    [("move", {"stage": "choose"}), ("won", {}), ("lost", {"reason": "Budget"}), ("reassign", {})],
)
def test_the_batch_runs_a_bounded_number_of_queries_per_deal(manager_client, manager, rep, action, extra):
    if action == "reassign":
        extra = {"owner": manager.pk}
    n = 3
    _batch_queries(manager_client, _deals(rep, 1), action, **extra)  # content types and the like, once
    small = _batch_queries(manager_client, _deals(rep, n), action, **extra)
    large = _batch_queries(manager_client, _deals(rep, 2 * n), action, **extra)
    per_deal = (large - small) / n
    assert per_deal == int(per_deal), (small, large)
    # The same fixed part at N and 2N; each deal costs its own reads and writes (the verb, its
    # savepoints, its history).
    assert small - n * per_deal == large - 2 * n * per_deal
    assert per_deal <= 12, per_deal
