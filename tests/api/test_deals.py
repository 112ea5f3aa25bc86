from decimal import Decimal

import pytest

from history.models import ChangeLog
from sales.models import Deal, LostReason, SalesRecord, Stage, StageChange
from tests.factories import CustomerFactory, DealFactory, ProductFactory, lost_reason


def test_a_rep_creates_a_deal_for_their_customer_in_the_first_stage(api, rep):
    customer = CustomerFactory(owner=rep)
    response = api.post("/api/deals/", {"title": "Licences", "customer": customer.pk, "amount": "1200.50"})
    assert response.status_code == 201, response.data
    deal = Deal.objects.get(pk=response.data["id"])
    assert (deal.owner, deal.stage.key, deal.amount) == (rep, "lead", Decimal("1200.50"))
    assert response.data["stage"] == "lead"
    assert StageChange.objects.filter(deal=deal).count() == 1
    log = ChangeLog.objects.for_object(deal).get()
    assert log.action == ChangeLog.Action.CREATED and log.changed_by == rep


@pytest.mark.parametrize("stage", ["buy", "use", "maintain"])
def test_a_deal_cannot_be_created_already_won(api, rep, stage):
    customer = CustomerFactory(owner=rep)
    response = api.post(
        "/api/deals/", {"title": "Licences", "customer": customer.pk, "amount": "100", "stage": stage}
    )
    assert response.status_code == 400
    assert "won action" in str(response.data["stage"][0])
    assert not Deal.objects.exists() and not SalesRecord.objects.exists()


def test_a_deal_can_be_created_in_a_later_open_stage(api, rep):
    customer = CustomerFactory(owner=rep)
    response = api.post(
        "/api/deals/", {"title": "Licences", "customer": customer.pk, "amount": "100", "stage": "choose"}
    )
    assert response.status_code == 201, response.data
    assert (response.data["stage"], response.data["status"]) == ("choose", "open")


def test_creating_a_deal_for_another_reps_customer_is_refused_with_a_reason(api, other_rep):
    customer = CustomerFactory(owner=other_rep)
    response = api.post("/api/deals/", {"title": "x", "customer": customer.pk})
    assert response.status_code == 400
    assert "customer" in response.data
    assert "that you can see" in str(response.data["customer"])
    assert not Deal.objects.exists()


def test_a_rep_cannot_give_a_deal_to_another_rep(api, rep, other_rep):
    customer = CustomerFactory(owner=rep)
    response = api.post("/api/deals/", {"title": "x", "customer": customer.pk, "owner": other_rep.pk})
    assert response.status_code == 400
    assert "owner" in response.data


def test_a_deal_cannot_use_a_product_id_that_does_not_exist(api, rep):
    customer = CustomerFactory(owner=rep)
    response = api.post("/api/deals/", {"title": "x", "customer": customer.pk, "product": 999999})
    assert response.status_code == 400
    assert "product" in response.data


def test_an_edit_needs_the_version_it_was_made_from(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    response = api.patch(f"/api/deals/{deal.pk}/", {"title": "New"}, format="json")
    assert response.status_code == 400
    assert "version" in response.data


def test_an_edit_from_the_current_version_is_saved_and_logged(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep, amount=Decimal("100"))
    response = api.patch(
        f"/api/deals/{deal.pk}/", {"version": deal.version, "amount": "250.00"}, format="json"
    )
    assert response.status_code == 200, response.data
    deal.refresh_from_db()
    assert deal.amount == Decimal("250.00")
    assert response.data["version"] == deal.version
    log = ChangeLog.objects.for_object(deal).filter(action=ChangeLog.Action.UPDATED).get()
    assert log.changes == {"amount": ["100.00", "250.00"]}


def test_a_stale_edit_gets_409_with_the_current_values(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep, title="Old")
    stale = deal.version
    deal.apply_edit({"title": "Changed elsewhere"}, version=deal.version)
    response = api.patch(f"/api/deals/{deal.pk}/", {"version": stale, "title": "Mine"}, format="json")
    assert response.status_code == 409
    assert response.data["current"]["title"] == "Changed elsewhere"
    assert response.data["current"]["version"] == stale + 1
    deal.refresh_from_db()
    assert deal.title == "Changed elsewhere"


def test_an_edit_can_override_and_then_clear_the_probability(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    response = api.patch(
        f"/api/deals/{deal.pk}/", {"version": deal.version, "probability": "42"}, format="json"
    )
    assert response.status_code == 200, response.data
    assert (response.data["probability"], response.data["probability_overridden"]) == ("42.00", True)
    response = api.patch(
        f"/api/deals/{deal.pk}/", {"version": response.data["version"], "probability": None}, format="json"
    )
    assert response.status_code == 200, response.data
    assert (response.data["probability"], response.data["probability_overridden"]) == ("10.00", False)


def test_an_edit_cannot_change_the_stage_or_status_directly(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    response = api.patch(
        f"/api/deals/{deal.pk}/", {"version": deal.version, "stage": "buy", "status": "won"}, format="json"
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage.key, deal.status) == ("lead", "open")


def test_moving_a_deal_by_stage_key_records_the_move(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    response = api.post(f"/api/deals/{deal.pk}/move/", {"stage": "choose"}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["stage"] == "choose"
    assert StageChange.objects.filter(deal=deal).count() == 2
    log = ChangeLog.objects.for_object(deal).filter(action=ChangeLog.Action.UPDATED).get()
    assert "stage" in log.changes


def test_moving_to_an_unknown_stage_is_a_400(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    response = api.post(f"/api/deals/{deal.pk}/move/", {"stage": "nowhere"}, format="json")
    assert response.status_code == 400


def test_a_move_from_a_stale_version_gets_409(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    response = api.post(
        f"/api/deals/{deal.pk}/move/", {"stage": "choose", "version": deal.version + 5}, format="json"
    )
    assert response.status_code == 409
    assert response.data["current"]["stage"] == "lead"


def test_winning_a_deal_makes_its_sales_record(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep, amount=Decimal("900"))
    response = api.post(f"/api/deals/{deal.pk}/won/", {}, format="json")
    assert response.status_code == 200, response.data
    assert (response.data["status"], response.data["stage"]) == ("won", "buy")
    assert SalesRecord.objects.get(deal=deal).amount == Decimal("900")


def test_moving_a_won_deal_to_the_won_stage_again_is_refused_with_the_rule(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep, stage="buy")
    response = api.post(f"/api/deals/{deal.pk}/move/", {"stage": "buy"}, format="json")
    assert response.status_code == 400
    assert "open deal" in response.data["detail"]


def test_winning_a_lost_deal_is_refused_with_the_rule(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    deal.mark_lost(lost_reason(), note="Too dear", by=rep)
    response = api.post(f"/api/deals/{deal.pk}/won/", {}, format="json")
    assert response.status_code == 400
    assert "open deal" in response.data["detail"]


def test_winning_when_no_stage_wins_deals_is_refused_with_400_and_changes_nothing(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    Stage.objects.filter(kind=Stage.Kind.WON).update(kind=Stage.Kind.AFTER_SALE)
    response = api.post(f"/api/deals/{deal.pk}/won/", {}, format="json")
    assert response.status_code == 400
    assert response.data["detail"] == "No stage is set up as the won stage; ask an admin."
    deal.refresh_from_db()
    assert (deal.status, deal.stage.key, deal.stage_changes.count()) == ("open", "lead", 1)


def test_losing_a_deal_needs_a_reason(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    assert api.post(f"/api/deals/{deal.pk}/lost/", {}, format="json").status_code == 400
    assert api.post(f"/api/deals/{deal.pk}/lost/", {"reason": "   "}, format="json").status_code == 400
    # The reason comes from the list: unknown text is refused with the names to choose from.
    response = api.post(f"/api/deals/{deal.pk}/lost/", {"reason": "Budget cut"}, format="json")
    assert response.status_code == 400
    assert "No budget" in str(response.data["reason"])
    # "Other" needs a note.
    response = api.post(f"/api/deals/{deal.pk}/lost/", {"reason": "other"}, format="json")
    assert response.status_code == 400
    response = api.post(
        f"/api/deals/{deal.pk}/lost/", {"reason": "Other", "note": "Budget cut"}, format="json"
    )
    assert response.status_code == 200
    other = lost_reason("Other")
    assert (response.data["status"], response.data["lost_reason"]) == ("lost", other.pk)
    assert (response.data["lost_reason_name"], response.data["lost_note"]) == ("Other", "Budget cut")


def test_a_deal_is_lost_for_a_reason_given_by_id(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    reason = lost_reason("Price too high")
    response = api.post(f"/api/deals/{deal.pk}/lost/", {"reason": reason.pk}, format="json")
    assert (response.status_code, response.data["lost_reason"]) == (200, reason.pk)


def test_the_lost_reasons_list_the_active_ones(api, rep):
    LostReason.objects.filter(name="Bad timing").update(active=False)
    names = [r["name"] for r in api.get("/api/lost-reasons/").data["results"]]
    assert names == list(LostReason.objects.active().values_list("name", flat=True))
    assert "Bad timing" not in names and "Other" in names


def test_deals_cannot_be_deleted_through_the_api(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    assert api.delete(f"/api/deals/{deal.pk}/").status_code == 405
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_the_deal_list_filters_by_status_and_text(api, rep):
    DealFactory(owner=rep, customer__owner=rep, title="Alpha licences")
    lost = DealFactory(owner=rep, customer__owner=rep, title="Beta support")
    lost.mark_lost(lost_reason(), note="No budget", by=rep)
    titles = [d["title"] for d in api.get("/api/deals/", {"status": "lost"}).data["results"]]
    assert titles == ["Beta support"]
    titles = [d["title"] for d in api.get("/api/deals/", {"q": "alpha"}).data["results"]]
    assert titles == ["Alpha licences"]


def test_a_deal_can_name_a_catalogue_product(api, rep):
    customer = CustomerFactory(owner=rep)
    product = ProductFactory()
    response = api.post("/api/deals/", {"title": "x", "customer": customer.pk, "product": product.pk})
    assert response.status_code == 201
    assert response.data["product_name"] == product.name


def test_the_deal_list_takes_the_list_pages_filters_and_sort(api, rep):
    DealFactory(owner=rep, customer__owner=rep, title="Small", amount=Decimal("10"), stage="lead")
    DealFactory(owner=rep, customer__owner=rep, title="Big", amount=Decimal("900"), stage="choose")
    DealFactory(owner=rep, customer__owner=rep, title="Middle", amount=Decimal("50"), stage="understand")
    response = api.get("/api/deals/?stage=lead&stage=choose&sort=-amount")
    assert [d["title"] for d in response.data["results"]] == ["Big", "Small"]


def test_the_format_suffix_works_on_edits_and_actions(api, rep):
    # URLs like /api/deals/1/move.json pass a format argument to every handler.
    deal = DealFactory(owner=rep, customer__owner=rep)
    response = api.patch(f"/api/deals/{deal.pk}.json", {"version": deal.version, "title": "T"}, format="json")
    assert response.status_code == 200
    assert api.post(f"/api/deals/{deal.pk}/move.json", {"stage": "choose"}, format="json").status_code == 200
    assert (
        api.post(f"/api/deals/{deal.pk}/lost.json", {"reason": "No budget"}, format="json").status_code == 200
    )
    assert api.post(f"/api/deals/{deal.pk}/won.json", {}, format="json").status_code == 400


def test_an_edit_with_the_largest_version_is_a_400_not_an_overflow(api, rep):
    deal = DealFactory(owner=rep, customer=CustomerFactory(owner=rep))
    response = api.patch(f"/api/deals/{deal.pk}/", {"version": 2**31 - 1, "title": "X"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()
