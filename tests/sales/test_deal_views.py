"""Deal pages: the list, the detail page and its in-place actions, create and edit."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from history.models import ChangeLog
from sales.models import Activity, Deal, SalesRecord, Stage
from tests.factories import (
    ActivityFactory,
    AdminFactory,
    CustomerFactory,
    DealFactory,
    ProductFactory,
    RepFactory,
    lost_reason,
)

pytestmark = pytest.mark.django_db

LIST = reverse("sales:deal_list")
NEW = reverse("sales:deal_create")
HTMX = {"HX-Request": "true"}


def url(name: str, deal) -> str:
    return reverse(f"sales:{name}", args=[deal.pk])


def deal_of(owner, **kwargs) -> Deal:
    return DealFactory(
        owner=owner, customer=kwargs.pop("customer", None) or CustomerFactory(owner=owner), **kwargs
    )


# The list


def test_the_list_shows_the_reps_deals_only(rep_client, rep, other_rep):
    deal_of(rep, title="Mine")
    deal_of(other_rep, title="Theirs")
    response = rep_client.get(LIST)
    assert [d.title for d in response.context["deals"]] == ["Mine"]
    assert b"Theirs" not in response.content


def test_a_manager_sees_the_teams_deals_and_filters_by_rep(manager_client, manager, rep):
    deal_of(rep, title="Rep's")
    deal_of(manager, title="Manager's")
    response = manager_client.get(LIST)
    assert sorted(d.title for d in response.context["deals"]) == ["Manager's", "Rep's"]
    response = manager_client.get(LIST, {"owner": rep.pk})
    assert [d.title for d in response.context["deals"]] == ["Rep's"]
    assert b'name="owner"' in response.content


def test_the_list_filters_by_stage_status_text_and_close_range(rep_client, rep):
    today = timezone.localdate()
    deal_of(rep, title="Alpha", stage="understand", expected_close=today + datetime.timedelta(days=5))
    deal_of(rep, title="Beta", expected_close=today + datetime.timedelta(days=50))
    lost = deal_of(rep, title="Gamma")
    lost.mark_lost(lost_reason(), note="budget", by=rep)

    def titles(**params) -> list[str]:
        return sorted(d.title for d in rep_client.get(LIST, params).context["deals"])

    assert titles(stage="understand") == ["Alpha"]
    assert titles(status="lost") == ["Gamma"]
    assert titles(q="bet") == ["Beta"]
    assert titles(
        close_from=today.isoformat(), close_to=(today + datetime.timedelta(days=10)).isoformat()
    ) == ["Alpha"]


def test_the_column_headers_sort_both_ways(rep_client, rep):
    deal_of(rep, title="Small", amount=Decimal("10"))
    deal_of(rep, title="Large", amount=Decimal("1000"))
    response = rep_client.get(LIST, {"sort": "amount"})
    assert [d.title for d in response.context["deals"]] == ["Small", "Large"]
    assert b"sort=-amount" in response.content  # clicking again flips the order
    response = rep_client.get(LIST, {"sort": "-amount"})
    assert [d.title for d in response.context["deals"]] == ["Large", "Small"]


def test_the_list_pages_and_keeps_the_filters_in_the_links(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    for i in range(27):
        DealFactory(owner=rep, customer=customer, title=f"D{i}")
    response = rep_client.get(LIST, {"status": "open"})
    assert len(response.context["deals"]) == 25
    assert response.context["totals"]["count"] == 27
    assert b"status=open&amp;page=2" in response.content


def test_dashboard_filters_without_a_control_are_kept_as_removable_chips(rep_client, rep):
    product = ProductFactory(category="Software")
    deal_of(rep, title="Soft", product=product)
    deal_of(rep, title="Other")
    response = rep_client.get(LIST, {"category": "Software", "status": "open"})
    assert [d.title for d in response.context["deals"]] == ["Soft"]
    chip = response.context["hidden_filters"][0]
    assert chip["name"] == "category"
    assert chip["remove_url"] == "?status=open"


def test_region_and_channel_are_picked_from_the_values_of_visible_deals(rep_client, rep, other_rep):
    deal_of(rep, title="North", channel="Referral", customer=CustomerFactory(owner=rep, region="North"))
    deal_of(other_rep, channel="Secret fair", customer=CustomerFactory(owner=other_rep, region="Hidden"))
    response = rep_client.get(LIST, {"region": "north"})
    assert [d.title for d in response.context["deals"]] == ["North"]
    html = response.content.decode()
    assert '<option value="North">' in html and '<option value="Referral">' in html
    assert "Hidden" not in html and "Secret fair" not in html


def test_the_list_answers_htmx_with_the_table_only(rep_client, rep):
    deal_of(rep)
    response = rep_client.get(LIST, headers=HTMX)
    assert response.templates[0].name == "sales/partials/deal_table.html"


def test_an_empty_list_says_so(rep_client):
    assert b"No deals yet" in rep_client.get(LIST).content
    assert b"No deals match" in rep_client.get(LIST, {"status": "won"}).content


# Detail and actions


def test_the_detail_page_shows_the_timeline_of_moves_and_activities(rep_client, rep):
    deal = deal_of(rep, title="Timeline deal")
    deal.move_to(Stage.objects.get(key="understand"), by=rep)
    ActivityFactory(deal=deal, customer=deal.customer, owner=rep, subject="Discovery call")
    response = rep_client.get(url("deal_detail", deal))
    kinds = [e.kind for e in response.context["timeline"]]
    assert sorted(kinds) == ["activity", "stage", "stage"]
    assert b"Discovery call" in response.content
    assert b"Understand" in response.content


def test_a_deal_moved_by_someone_since_deleted_still_opens(rep_client, rep):
    deal = deal_of(rep, title="Handed down")
    departed = AdminFactory(username="departed")
    deal.move_to(Stage.objects.get(key="understand"), by=departed)
    departed.delete()
    response = rep_client.get(url("deal_detail", deal))
    assert response.status_code == 200
    assert "System ·" in response.content.decode()


def test_another_reps_deal_is_a_404(other_rep_client, rep):
    deal = deal_of(rep)
    assert other_rep_client.get(url("deal_detail", deal)).status_code == 404
    response = other_rep_client.post(url("deal_move", deal), {"stage": "choose", "version": deal.version})
    assert response.status_code == 404
    deal.refresh_from_db()
    assert deal.stage.key == "lead"


def test_moving_with_htmx_returns_the_refreshed_panel_and_records_the_move(rep_client, rep):
    deal = deal_of(rep)
    response = rep_client.post(
        url("deal_move", deal), {"stage": "understand", "version": deal.version}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.templates[0].name == "sales/partials/deal_panel.html"
    assert b"Moved to Understand" in response.content
    deal.refresh_from_db()
    assert deal.stage.key == "understand"
    assert deal.stage_changes.count() == 2


def test_moving_without_htmx_redirects_to_the_page_with_a_message(rep_client, rep):
    deal = deal_of(rep)
    response = rep_client.post(
        url("deal_move", deal), {"stage": "choose", "version": deal.version}, follow=True
    )
    assert response.redirect_chain[-1][0] == url("deal_detail", deal)
    assert b"Moved to Choose" in response.content


def test_marking_won_moves_to_the_buy_stage_and_records_the_sale(rep_client, rep):
    deal = deal_of(rep, amount=Decimal("2500.00"))
    rep_client.post(url("deal_won", deal), {"version": deal.version}, headers=HTMX)
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key) == ("won", "buy")
    assert SalesRecord.objects.get(deal=deal).amount == Decimal("2500.00")


def test_marking_won_when_no_stage_wins_deals_says_so_and_changes_nothing(rep_client, rep):
    deal = deal_of(rep)
    Stage.objects.filter(kind=Stage.Kind.WON).update(kind=Stage.Kind.AFTER_SALE)
    response = rep_client.post(url("deal_won", deal), {"version": deal.version}, headers=HTMX)
    assert "No stage is set up as the won stage; ask an admin." in response.content.decode()
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key) == ("open", "lead")


def test_marking_lost_needs_a_reason_and_keeps_the_stage(rep_client, rep):
    deal = deal_of(rep, stage="choose")
    response = rep_client.post(url("deal_lost", deal), {"reason": "", "version": deal.version}, headers=HTMX)
    assert b"is-invalid" in response.content
    other = lost_reason("Other")
    response = rep_client.post(
        url("deal_lost", deal), {"reason": other.pk, "note": "", "version": deal.version}, headers=HTMX
    )
    assert "“Other” needs a note that says more." in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == "open"
    price = lost_reason("Price too high")
    rep_client.post(url("deal_lost", deal), {"reason": price.pk, "version": deal.version}, headers=HTMX)
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key, deal.lost_reason) == ("lost", "choose", price)


def test_a_refused_action_is_shown_as_an_error_not_a_500(rep_client, rep):
    deal = deal_of(rep)
    deal.mark_lost(lost_reason(), note="gone", by=rep)
    response = rep_client.post(
        url("deal_move", deal), {"stage": "choose", "version": deal.version}, headers=HTMX
    )
    assert response.status_code == 200
    assert b"A lost deal cannot move between stages." in response.content


def test_an_action_from_a_stale_page_is_refused(rep_client, rep):
    deal = deal_of(rep)
    seen = deal.version
    deal.set_probability(Decimal("40"))  # someone else changes the deal meanwhile
    response = rep_client.post(url("deal_move", deal), {"stage": "choose", "version": seen}, headers=HTMX)
    assert b"changed by someone else" in response.content
    deal.refresh_from_db()
    assert deal.stage.key == "lead"


def test_probability_is_set_by_hand_and_reset_to_the_stage_default(rep_client, rep):
    deal = deal_of(rep)
    rep_client.post(
        url("deal_probability", deal), {"probability": "35", "version": deal.version}, headers=HTMX
    )
    deal.refresh_from_db()
    assert (deal.probability, deal.probability_overridden) == (Decimal("35"), True)
    rep_client.post(url("deal_probability", deal), {"clear": "1", "version": deal.version}, headers=HTMX)
    deal.refresh_from_db()
    assert (deal.probability, deal.probability_overridden) == (Decimal("10"), False)


def test_an_out_of_range_probability_is_refused(rep_client, rep):
    deal = deal_of(rep)
    response = rep_client.post(
        url("deal_probability", deal), {"probability": "140", "version": deal.version}, headers=HTMX
    )
    assert b"alert-danger" in response.content
    deal.refresh_from_db()
    assert deal.probability == Decimal("10")


def test_an_activity_logged_on_the_deal_page_appears_in_its_timeline(rep_client, rep):
    deal = deal_of(rep)
    response = rep_client.post(
        url("deal_log_activity", deal),
        {"kind": "call", "subject": "Pricing call", "done": "on"},
        headers=HTMX,
    )
    assert b"Pricing call" in response.content
    activity = Activity.objects.get()
    assert (activity.deal, activity.customer, activity.owner) == (deal, deal.customer, rep)
    assert activity.is_done


def test_a_task_without_a_due_date_is_refused_and_the_input_kept(rep_client, rep):
    deal = deal_of(rep)
    response = rep_client.post(
        url("deal_log_activity", deal), {"kind": "task", "subject": "Send quote"}, headers=HTMX
    )
    assert b"A task needs a due date." in response.content
    assert b'value="Send quote"' in response.content
    assert Activity.objects.count() == 0


# Create


def test_creating_a_deal_opens_it_in_the_first_stage_and_records_history(rep_client, rep):
    customer = CustomerFactory(owner=rep, channel="Web")
    response = rep_client.post(
        NEW,
        {"title": "First", "customer": customer.pk, "amount": "1200.50", "opened_on": "2026-01-05"},
    )
    deal = Deal.objects.get()
    assert response["Location"] == url("deal_detail", deal)
    assert (deal.owner, deal.stage.key, deal.amount, deal.channel) == (rep, "lead", Decimal("1200.50"), "Web")
    assert deal.stage_changes.count() == 1
    assert ChangeLog.objects.for_object(deal).get().action == "created"


def test_the_customer_choice_only_offers_visible_customers(rep_client, rep, other_rep):
    mine = CustomerFactory(owner=rep)
    theirs = CustomerFactory(owner=other_rep)
    response = rep_client.get(NEW)
    assert list(response.context["form"].fields["customer"].queryset) == [mine]
    response = rep_client.post(
        NEW, {"title": "X", "customer": theirs.pk, "amount": "1", "opened_on": "2026-01-01"}
    )
    assert "customer" in response.context["form"].errors
    assert Deal.objects.count() == 0


def test_the_customer_is_preselected_from_the_query_string_if_visible(rep_client, rep, other_rep):
    mine = CustomerFactory(owner=rep)
    assert rep_client.get(NEW, {"customer": mine.pk}).context["form"].initial["customer"] == mine.pk
    theirs = CustomerFactory(owner=other_rep)
    assert "customer" not in rep_client.get(NEW, {"customer": theirs.pk}).context["form"].initial


def test_a_deal_can_start_in_a_later_stage_with_its_own_probability(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    choose = Stage.objects.get(key="choose")
    rep_client.post(
        NEW,
        {
            "title": "Late",
            "customer": customer.pk,
            "amount": "5",
            "opened_on": "2026-01-01",
            "stage": choose.pk,
            "probability": "70",
        },
    )
    deal = Deal.objects.get()
    assert (deal.stage.key, deal.probability, deal.probability_overridden) == ("choose", Decimal("70"), True)


def test_the_create_form_shows_errors_and_keeps_the_input(rep_client, rep):
    customer = CustomerFactory(owner=rep)
    response = rep_client.post(
        NEW,
        {
            "title": "Keep me",
            "customer": customer.pk,
            "amount": "-5",
            "opened_on": "2026-03-01",
            "expected_close": "2026-02-01",
        },
    )
    errors = response.context["form"].errors
    assert set(errors) == {"amount", "expected_close"}
    assert b'value="Keep me"' in response.content
    assert b'value="2026-02-01"' in response.content
    assert Deal.objects.count() == 0


# Edit


def edit_data(deal: Deal, **changes) -> dict:
    from sales.forms import DealEditForm

    initial = DealEditForm.initial_for(deal)
    data = {k: ("" if v is None else v) for k, v in initial.items() if k != "owner"}
    data.update(changes)
    return data


def test_editing_applies_only_the_changed_fields_and_records_them(rep_client, rep):
    deal = deal_of(rep, amount=Decimal("100.00"))
    response = rep_client.post(url("deal_edit", deal), edit_data(deal, amount="150.00"))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.amount == Decimal("150.00")
    log = ChangeLog.objects.for_object(deal).get(action=ChangeLog.Action.UPDATED)
    assert list(log.changes) == ["amount"]


def test_pushing_the_expected_close_marks_the_deal_slipped(rep_client, rep):
    deal = deal_of(rep)
    later = deal.expected_close + datetime.timedelta(days=20)
    rep_client.post(url("deal_edit", deal), edit_data(deal, expected_close=later.isoformat()))
    deal.refresh_from_db()
    assert deal.slipped


def test_a_stale_edit_is_refused_with_what_changed_and_keeps_the_input(rep_client, rep):
    deal = deal_of(rep, amount=Decimal("100.00"), title="Original")
    data = edit_data(deal, title="My new title")
    # Meanwhile someone else raises the amount.
    other = Deal.objects.get(pk=deal.pk)
    other.apply_edit({"amount": Decimal("900.00")}, version=other.version)
    response = rep_client.post(url("deal_edit", deal), data)
    assert response.status_code == 409
    lines = response.context["stale_lines"]
    assert lines == ["Amount: 100.00 → 900.00"]
    assert b'value="My new title"' in response.content
    deal.refresh_from_db()
    assert (deal.title, deal.amount) == ("Original", Decimal("900.00"))
    # The form now carries the current version and the other person's amount, so saving again
    # applies the user's title without undoing the amount.
    form = response.context["form"]
    assert form["amount"].value() == "900.00"
    resubmit = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    assert rep_client.post(url("deal_edit", deal), resubmit).status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.amount) == ("My new title", Decimal("900.00"))


def test_a_stale_edit_reports_a_stage_move_too(rep_client, rep):
    deal = deal_of(rep)
    data = edit_data(deal, title="Renamed")
    Deal.objects.get(pk=deal.pk).move_to(Stage.objects.get(key="understand"), by=rep)
    response = rep_client.post(url("deal_edit", deal), data)
    assert "Stage: Lead → Understand" in response.context["stale_lines"]


def test_a_rep_cannot_reassign_a_deal_or_pick_a_hidden_product(rep_client, rep, other_rep):
    deal = deal_of(rep)
    hidden = ProductFactory(active=False)
    rep_client.post(url("deal_edit", deal), {**edit_data(deal, title="T"), "owner": other_rep.pk})
    response = rep_client.post(url("deal_edit", deal), edit_data(deal, product=hidden.pk))
    assert "product" in response.context["form"].errors
    deal.refresh_from_db()
    assert deal.owner == rep


def test_a_manager_reassigns_a_deal_to_a_team_member(manager_client, manager, rep):
    deal = deal_of(manager)
    response = manager_client.post(url("deal_edit", deal), edit_data(deal, owner=rep.pk))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.owner == rep


# Query counts


def _deals(rep, n: int) -> Deal:
    customer = CustomerFactory(owner=rep)
    deals = [DealFactory(owner=rep, customer=customer) for _ in range(n)]
    for deal in deals:
        ActivityFactory(deal=deal, customer=customer, owner=rep)
        deal.move_to(Stage.objects.get(key="understand"), by=rep)
    return deals[0]


@pytest.mark.parametrize("n", [4, 8])
def test_the_list_runs_a_fixed_number_of_queries(rep_client, rep, n, django_assert_num_queries):
    _deals(rep, n)
    # session, user, stages, COUNT and SUM of the filtered deals, manager check (groups, managed
    # teams), the page of deals with customer, owner and stage, the region and channel values.
    with django_assert_num_queries(8):
        response = rep_client.get(LIST)
    assert len(response.context["deals"]) == n


@pytest.mark.parametrize("n", [4, 8])
def test_the_detail_page_runs_a_fixed_number_of_queries(rep_client, rep, n, django_assert_num_queries):
    deal = _deals(rep, n)
    for _ in range(n):
        ActivityFactory(deal=deal, customer=deal.customer, owner=rep)
    ContentType.objects.clear_cache()  # else the count depends on which test ran before
    # session, user, deal with customer, owner, stage and product, stages, stage changes with their
    # stages and who, activities with owner, content type and change history (history_for), manager
    # check (groups, managed teams), pipeline settings, learned-probability counts and the active
    # lost reasons (the lost form's list). The activity form's deal and customer are fixed.
    with django_assert_num_queries(13):
        response = rep_client.get(url("deal_detail", deal))
    assert len(response.context["timeline"]) == n + 1 + 2


def test_a_rep_may_not_see_another_reps_deal_in_the_activity_form(rep_client, rep):
    other = deal_of(RepFactory())
    response = rep_client.get(reverse("sales:activity_create"), {"deal": other.pk})
    assert "deal" not in response.context["form"].initial


# Pickers: a customer select stays small when the user may see thousands of customers


@pytest.fixture
def small_picker(monkeypatch):
    import crm.forms
    import customers.views
    import sales.views.deals

    for module in (crm.forms, customers.views, sales.views.deals):
        monkeypatch.setattr(module, "PICKER_LIMIT", 2)


def test_the_customer_select_is_capped_and_offers_a_search_box(rep_client, rep, small_picker):
    names = ["Alpha", "Beta", "Gamma", "Delta"]
    customers = {n: CustomerFactory(owner=rep, name=n) for n in names}
    response = rep_client.get(NEW, {"customer": customers["Gamma"].pk})
    choices = [label for value, label in response.context["form"].fields["customer"].widget.choices if value]
    assert choices == ["Alpha", "Beta", "Gamma"]  # the first two by name, and the preselected one
    assert b'name="customer_q"' in response.content
    # Any visible customer is still accepted, shown or not.
    data = {"title": "D", "customer": customers["Delta"].pk, "amount": "1", "opened_on": "2026-01-01"}
    assert rep_client.post(NEW, data).status_code == 302


def test_no_search_box_when_every_customer_fits(rep_client, rep):
    CustomerFactory(owner=rep)
    assert b'name="customer_q"' not in rep_client.get(NEW).content


def test_the_customer_search_finds_only_visible_customers(rep_client, rep, other_rep, small_picker):
    CustomerFactory(owner=rep, name="Acme North")
    CustomerFactory(owner=other_rep, name="Acme South")
    response = rep_client.get(reverse("customers:customer_options"), {"customer_q": "acme"})
    assert b"Acme North" in response.content
    assert b"Acme South" not in response.content
    for i in range(3):
        CustomerFactory(owner=rep, name=f"Acme {i}")
    assert (
        b"More match" in rep_client.get(reverse("customers:customer_options"), {"customer_q": "acme"}).content
    )


def test_the_deal_search_finds_only_visible_open_deals(rep_client, rep, other_rep):
    deal_of(rep, title="Fleet renewal")
    deal_of(other_rep, title="Fleet expansion")
    response = rep_client.get(reverse("sales:deal_options"), {"deal_q": "fleet"})
    assert b"Fleet renewal" in response.content
    assert b"Fleet expansion" not in response.content


def test_the_lists_total_sums_open_won_and_lost_apart(rep_client, rep):
    deal_of(rep, amount=Decimal("100.50"))
    deal_of(rep, amount=Decimal("200"))
    deal_of(rep, amount=Decimal("1000")).win(by=rep)
    deal_of(rep, amount=Decimal("40")).mark_lost("No budget", by=rep)
    response = rep_client.get(LIST)
    assert response.context["status_totals"] == [
        ("Open", Decimal("300.50")),
        ("Won", Decimal("1000.00")),
        ("Lost", Decimal("40.00")),
    ]
    text = " ".join(response.content.decode().split())
    assert 'Open <strong class="text-body">$300.50</strong>' in text
    # Filtered to open deals, only the open amount is summed.
    assert rep_client.get(LIST, {"status": "open"}).context["status_totals"] == [("Open", Decimal("300.50"))]
