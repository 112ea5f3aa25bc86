"""Activities: the list of overdue, today and upcoming, logging and completing, and My day."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sales.models import Activity, Stage
from tests.factories import ActivityFactory, CustomerFactory, DealFactory

pytestmark = pytest.mark.django_db

LIST = reverse("sales:activity_list")
NEW = reverse("sales:activity_create")
HOME = reverse("sales:home")


def hours(n: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=n)


def at_today(hour: int) -> datetime.datetime:
    today = timezone.localdate()
    return datetime.datetime.combine(today, datetime.time(hour), tzinfo=timezone.get_current_timezone())


def task(owner, subject: str, due: datetime.datetime | None, done: datetime.datetime | None = None, **kw):
    customer = kw.pop("customer", None) or CustomerFactory(owner=owner)
    return ActivityFactory(
        owner=owner,
        customer=customer,
        kind=Activity.Kind.TASK,
        subject=subject,
        due_at=due,
        done_at=done,
        **kw,
    )


def section(response, key: str) -> list[str]:
    return [a.subject for s in response.context["sections"] if s["key"] == key for a in s["items"]]


def test_the_list_splits_overdue_today_upcoming_and_recently_done(rep_client, rep):
    task(rep, "Late", hours(-72))
    task(rep, "Today", at_today(23) if timezone.localtime().hour < 23 else hours(0.1))
    task(rep, "Next week", hours(24 * 7))
    task(rep, "Finished", hours(-5), done=hours(-1))
    task(rep, "Old and done", hours(-500), done=hours(-400))
    response = rep_client.get(LIST)
    assert section(response, "overdue") == ["Late"]
    assert section(response, "today") == ["Today"]
    assert section(response, "upcoming") == ["Next week"]
    assert section(response, "done") == ["Finished"]


def test_the_list_shows_only_the_users_activities(rep_client, rep, other_rep):
    task(rep, "Mine", hours(-30))
    task(other_rep, "Theirs", hours(-30))
    response = rep_client.get(LIST)
    assert section(response, "overdue") == ["Mine"]
    assert response.context["people"] == []


def test_a_manager_starts_on_the_team_with_their_own_a_pick_away(manager_client, manager, rep, other_rep):
    task(manager, "Manager's", hours(-30))
    task(rep, "Rep's", hours(-30))
    task(other_rep, "Other team's", hours(-30))
    assert sorted(section(manager_client.get(LIST), "overdue")) == ["Manager's", "Rep's"]
    assert sorted(section(manager_client.get(LIST, {"owner": "all"}), "overdue")) == ["Manager's", "Rep's"]
    assert section(manager_client.get(LIST, {"owner": manager.pk}), "overdue") == ["Manager's"]
    assert section(manager_client.get(LIST, {"owner": rep.pk}), "overdue") == ["Rep's"]


def test_a_rep_sees_only_their_own_whatever_they_ask(rep_client, rep, manager):
    task(rep, "Mine", hours(-30))
    task(manager, "Manager's", hours(-30))
    assert section(rep_client.get(LIST, {"owner": manager.pk}), "overdue") == ["Mine"]


def test_empty_sections_say_something_helpful(rep_client):
    body = rep_client.get(LIST).content
    assert b"Nothing overdue" in body
    assert b"Nothing due today" in body


def test_a_task_is_planned_for_a_visible_deal_with_its_customer(rep_client, rep):
    deal = DealFactory(owner=rep, customer=CustomerFactory(owner=rep))
    due = hours(48).strftime("%Y-%m-%dT%H:%M")
    response = rep_client.post(
        NEW, {"kind": "task", "subject": "Send contract", "deal": deal.pk, "due_at": due}
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert (activity.deal, activity.customer, activity.owner, activity.is_done) == (
        deal,
        deal.customer,
        rep,
        False,
    )


def test_the_form_refuses_another_reps_deal_or_customer(rep_client, rep, other_rep):
    theirs = DealFactory(owner=other_rep, customer=CustomerFactory(owner=other_rep))
    response = rep_client.post(NEW, {"kind": "call", "subject": "Spy", "deal": theirs.pk, "done": "on"})
    assert "deal" in response.context["form"].errors
    response = rep_client.post(
        NEW, {"kind": "call", "subject": "Spy", "customer": theirs.customer.pk, "done": "on"}
    )
    assert "customer" in response.context["form"].errors
    assert Activity.objects.count() == 0


def test_the_form_needs_a_deal_or_customer_and_keeps_the_input(rep_client):
    response = rep_client.post(NEW, {"kind": "call", "subject": "Lonely call", "done": "on"})
    assert "deal" in response.context["form"].errors
    assert b'value="Lonely call"' in response.content


def test_the_deal_and_customer_must_match(rep_client, rep):
    deal = DealFactory(owner=rep, customer=CustomerFactory(owner=rep))
    other_customer = CustomerFactory(owner=rep)
    response = rep_client.post(
        NEW, {"kind": "call", "subject": "x", "deal": deal.pk, "customer": other_customer.pk, "done": "on"}
    )
    assert "customer" in response.context["form"].errors


def test_marking_done_with_htmx_returns_the_updated_item(rep_client, rep):
    activity = task(rep, "Call back", hours(-2))
    url = reverse("sales:activity_done", args=[activity.pk])
    response = rep_client.post(url, {"outcome": "Agreed on a demo"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"Agreed on a demo" in response.content
    assert b"Mark done" not in response.content
    activity.refresh_from_db()
    assert activity.is_done and activity.outcome == "Agreed on a demo"


def test_marking_another_reps_activity_done_is_a_404(other_rep_client, rep):
    activity = task(rep, "Not yours", hours(-2))
    url = reverse("sales:activity_done", args=[activity.pk])
    assert other_rep_client.post(url).status_code == 404
    activity.refresh_from_db()
    assert not activity.is_done


def test_editing_an_activity_keeps_it_linked_and_returns_to_next(rep_client, rep):
    activity = task(rep, "Draft", hours(5))
    url = reverse("sales:activity_edit", args=[activity.pk])
    data = {
        "kind": "task",
        "subject": "Final",
        "customer": activity.customer_id,
        "due_at": hours(6).strftime("%Y-%m-%dT%H:%M"),
        "next": "/deals/",
    }
    response = rep_client.post(url, data)
    assert response["Location"] == "/deals/"
    activity.refresh_from_db()
    assert activity.subject == "Final"


def test_next_never_leaves_the_site(rep_client, rep):
    activity = task(rep, "Draft", hours(5))
    url = reverse("sales:activity_done", args=[activity.pk])
    response = rep_client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("sales:activity_list")


# My day


def test_my_day_shows_todays_and_overdue_tasks_and_deals_needing_attention(rep_client, rep):
    today = timezone.localdate()
    task(rep, "Due today", at_today(23) if timezone.localtime().hour < 23 else hours(0.1))
    task(rep, "Overdue", hours(-48))
    # Done earlier today, even in the first hour after midnight.
    done = max(hours(-1), at_today(0) + datetime.timedelta(seconds=1))
    task(rep, "Done already", hours(-48), done=done)
    customer = CustomerFactory(owner=rep)
    DealFactory(
        owner=rep, customer=customer, title="Late deal", expected_close=today - datetime.timedelta(days=2)
    )
    DealFactory(owner=rep, customer=customer, title="Fine deal", opened_on=today)
    response = rep_client.get(HOME)
    assert [a.subject for a in response.context["today_tasks"]] == ["Due today"]
    assert [a.subject for a in response.context["overdue_tasks"]] == ["Overdue"]
    attention = response.context["attention"]
    assert [d.title for d in attention] == ["Late deal"]
    assert attention[0].is_overdue
    assert response.context["done_today"] == 1


def test_a_managers_day_starts_on_the_team_and_mine_is_one_click_away(
    manager_client, manager, rep, other_rep
):
    task(rep, "Rep's task", hours(-48))
    task(other_rep, "Other team's task", hours(-48))
    customer = CustomerFactory(owner=rep)
    DealFactory(owner=rep, customer=customer, amount=Decimal("1000"))
    team_day = manager_client.get(HOME)
    assert [a.subject for a in team_day.context["overdue_tasks"]] == ["Rep's task"]
    assert team_day.context["pipeline"]["amount"] == Decimal("1000")
    assert b"?whose=mine" in team_day.content
    own_day = manager_client.get(HOME, {"whose": "mine"})
    assert own_day.context["overdue_tasks"] == []
    assert own_day.context["pipeline"]["count"] == 0


def test_a_reps_day_is_their_own_work(rep_client, rep, manager):
    task(manager, "Manager's task", hours(-48))
    response = rep_client.get(HOME, {"whose": "team"})
    assert response.context["overdue_tasks"] == []
    assert b"?whose=mine" not in response.content


def test_my_day_flags_stale_and_slipped_deals(rep_client, rep):
    today = timezone.localdate()
    customer = CustomerFactory(owner=rep)
    DealFactory(owner=rep, customer=customer, title="Quiet", opened_on=today - datetime.timedelta(days=60))
    slipped = DealFactory(owner=rep, customer=customer, title="Pushed", opened_on=today)
    slipped.apply_edit(
        {"expected_close": slipped.expected_close + datetime.timedelta(days=30)}, version=slipped.version
    )
    won = DealFactory(
        owner=rep, customer=customer, title="Won", opened_on=today - datetime.timedelta(days=60)
    )
    won.move_to(Stage.objects.get(key="buy"), by=rep)
    rows = {d.title: d for d in rep_client.get(HOME).context["attention"]}
    assert set(rows) == {"Quiet", "Pushed"}
    assert rows["Quiet"].is_stale and rows["Pushed"].is_slipped


def test_my_day_greets_a_new_rep_with_empty_states(rep_client):
    body = rep_client.get(HOME).content
    assert b"Nothing due today" in body
    assert b"All your open deals are on track" in body


# Query counts


def _busy_rep(rep, n: int) -> None:
    today = timezone.localdate()
    customer = CustomerFactory(owner=rep)
    for i in range(n):
        deal = DealFactory(
            owner=rep,
            customer=customer,
            amount=Decimal("10"),
            expected_close=today - datetime.timedelta(days=1),
        )
        task(rep, f"late {i}", hours(-30 - i), customer=customer, deal=deal)
        task(
            rep,
            f"today {i}",
            at_today(23) if timezone.localtime().hour < 23 else hours(0.1),
            customer=customer,
        )
        task(rep, f"later {i}", hours(72 + i), customer=customer, deal=deal)
        task(rep, f"done {i}", hours(-3), done=hours(-2), customer=customer, deal=deal)


@pytest.mark.parametrize("n", [3, 6])
def test_the_activity_list_runs_a_fixed_number_of_queries(rep_client, rep, n, django_assert_num_queries):
    _busy_rep(rep, n)
    # session, user, manager check (groups, managed teams), then one query per section
    # (overdue, today, upcoming, done) with owner, deal and customer joined.
    with django_assert_num_queries(8):
        response = rep_client.get(LIST)
    assert len(section(response, "upcoming")) == n


@pytest.mark.parametrize("n", [3, 6])
def test_my_day_runs_a_fixed_number_of_queries(rep_client, rep, n, django_assert_num_queries):
    _busy_rep(rep, n)
    # session, user, today's tasks, overdue tasks, deals needing attention with customer and stage,
    # COUNT and SUM of the open pipeline, COUNT of today's done activities, the strongest suggestions
    # with their customers and products, manager check (groups, managed teams).
    with django_assert_num_queries(10):
        response = rep_client.get(HOME)
    assert len(response.context["attention"]) == n
