"""POST /api/deals/{id}/reopen/: like the other verbs, with the version; and the sales records it leaves."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from crm.formatting import format_day
from sales.models import Deal, SalesRecord, Stage
from tests.factories import DealFactory, ManagerFactory, RepFactory, lost_reason


@pytest.fixture
def won(rep, team):
    deal = DealFactory(owner=rep, customer__owner=rep, amount=Decimal("800.00"), stage="choose")
    deal.win(by=rep)
    return Deal.objects.get(pk=deal.pk)


def reopen(api, deal, **data):
    return api.post(f"/api/deals/{deal.pk}/reopen/", {"stage": "choose", "version": deal.version, **data})


def test_reopening_a_won_deal_puts_it_back_and_reverses_its_sale(api, won):
    response = reopen(api, won, note="Signed by mistake")
    assert response.status_code == 200, response.data
    assert (response.data["status"], response.data["stage"], response.data["closed_on"]) == (
        "open",
        "choose",
        None,
    )
    assert response.data["version"] == won.version + 1
    reversal = SalesRecord.objects.reversals().get(deal=won)
    assert (reversal.amount, reversal.sold_on) == (Decimal("-800.00"), timezone.localdate())
    assert SalesRecord.objects.filter(deal=won).aggregate(s=Sum("amount"))["s"] == Decimal("0.00")


def test_a_stale_version_gets_409_with_the_deal_as_it_is(api, won):
    response = reopen(api, won, version=won.version - 1)
    assert response.status_code == 409
    assert response.data["current"]["status"] == "won"
    assert not SalesRecord.objects.reversals().exists()


def test_the_version_is_required(api, won):
    response = api.post(f"/api/deals/{won.pk}/reopen/", {"stage": "choose"})
    assert response.status_code == 400
    assert "version" in response.data


def test_another_teams_rep_gets_404(other_api, won):
    assert reopen(other_api, won).status_code == 404
    assert Deal.objects.get(pk=won.pk).status == "won"


def test_a_teammate_who_is_not_the_owner_gets_404(won, team):
    from rest_framework.test import APIClient

    teammate = RepFactory(username="teammate")
    team.members.add(teammate)
    client = APIClient()
    client.force_authenticate(teammate)
    assert reopen(client, won).status_code == 404


def test_one_who_sees_the_deal_but_may_not_reopen_it_gets_403(api, won, monkeypatch):
    monkeypatch.setattr(Deal, "may_reopen", lambda self, user: False)
    response = reopen(api, won)
    assert response.status_code == 403
    assert Deal.objects.get(pk=won.pk).status == "won"


@pytest.mark.parametrize("who", ["manager", "co_manager", "admin"])
def test_the_owners_managers_and_admins_may_reopen(won, team, admin_user, who):
    from rest_framework.test import APIClient

    co_manager = ManagerFactory(username="co")
    team.managers.add(co_manager)
    user = {"manager": team.manager, "co_manager": co_manager, "admin": admin_user}[who]
    client = APIClient()
    client.force_authenticate(user)
    assert reopen(client, won).status_code == 200


def test_an_open_deal_is_not_reopened_and_the_answer_says_why(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    response = reopen(api, deal)
    assert response.status_code == 400
    assert "only a won or lost deal can be reopened" in response.data["detail"]


def test_the_stage_must_be_an_open_one(api, won):
    response = reopen(api, won, stage="use")
    assert response.status_code == 400
    assert "open stage" in str(response.data["stage"])
    assert reopen(api, won, stage="nowhere").status_code == 400


def test_a_lost_deal_reopens_too(api, rep):
    deal = DealFactory(owner=rep, customer__owner=rep, stage="understand")
    deal.mark_lost(lost_reason("Price too high"), by=rep)
    response = reopen(api, deal, stage="understand")
    assert response.status_code == 200
    assert (response.data["status"], response.data["lost_reason"], response.data["lost_note"]) == (
        "open",
        None,
        "",
    )


def test_the_schema_documents_the_reopen_action(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/deals/{id}/reopen/"]["post"]
    assert {"200", "400", "403", "409"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][body]["required"]) == {"stage", "version"}


# The sales records the reopening leaves


def test_a_reversed_sale_and_its_reversal_can_be_neither_changed_nor_deleted(api, won, rep):
    won.reopen(Stage.objects.get(key="choose"), by=rep)
    sale = SalesRecord.objects.filter(deal=won, reverses__isnull=True).get()
    reversal = sale.reversal
    for record in (sale, reversal):
        response = api.patch(f"/api/sales-records/{record.pk}/", {"note": "x"}, format="json")
        assert response.status_code == 400
        assert api.delete(f"/api/sales-records/{record.pk}/").status_code == 400
    assert SalesRecord.objects.filter(deal=won).count() == 2


def test_a_reopened_deal_may_take_a_sales_record_again_but_only_one(api, won, rep):
    won.reopen(Stage.objects.get(key="choose"), by=rep)
    data = {"customer": won.customer_id, "deal": won.pk, "amount": "500.00"}
    assert api.post("/api/sales-records/", data, format="json").status_code == 201
    response = api.post("/api/sales-records/", data, format="json")
    assert response.status_code == 400
    assert "already has its sales record" in str(response.data["deal"])


def test_sales_records_show_what_they_reverse(api, won, rep):
    won.reopen(Stage.objects.get(key="choose"), by=rep)
    rows = {r["id"]: r for r in api.get("/api/sales-records/").data["results"]}
    reversal = SalesRecord.objects.reversals().get()
    assert rows[reversal.pk]["reverses"] == reversal.reverses_id
    assert rows[reversal.reverses_id]["reversed_on"] == timezone.localdate().isoformat()


def test_the_sales_record_list_marks_the_reversed_sale_and_its_reversal(won, rep, rep_client):
    from django.urls import reverse

    won.reopen(Stage.objects.get(key="choose"), by=rep)
    page = rep_client.get(reverse("sales:salesrecord_list")).content.decode()
    assert "Reversal" in page
    assert f"reversed {format_day(timezone.localdate())}" in page


@pytest.mark.parametrize("extra", [3, 6])
def test_the_lost_reason_list_runs_a_fixed_number_of_queries(api, extra, django_assert_num_queries):
    from sales.models import LostReason

    for i in range(extra):
        LostReason.objects.create(name=f"Reason {i}", order=200 + i)
    # The page count and the page (force_authenticate: no session or user lookup).
    with django_assert_num_queries(2):
        response = api.get("/api/lost-reasons/")
    assert response.data["count"] == LostReason.objects.active().count()
