import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sales.models import Deal, SalesRecord, Stage, StageChange
from tests.factories import DealFactory, ProductFactory, lost_reason

OUR_MODELS = [
    m
    for m in apps.get_models()
    if m._meta.app_label in {"customers", "sales", "history", "automation", "dataio"}
]


def test_every_model_is_in_the_admin():
    assert [m.__name__ for m in OUR_MODELS if not admin.site.is_registered(m)] == []


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_the_list_page_answers(model, admin_client_, rep):
    DealFactory(owner=rep, customer__owner=rep)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client_.get(url).status_code == 200
    assert admin_client_.get(url, {"q": "x"}).status_code == 200


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_the_add_page_answers_or_is_read_only(model, admin_client_):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    expected = (
        403
        if model.__name__ in {"StageChange", "ChangeLog", "RecommendationRow", "CustomerSuggestion", "Rollup"}
        else 200
    )
    assert admin_client_.get(url).status_code == expected


def test_a_deal_change_page_answers(admin_client_, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    assert admin_client_.get(reverse("admin:sales_deal_change", args=[deal.pk])).status_code == 200


def deal_form(deal: Deal, **changes) -> dict:
    data = {
        "customer": deal.customer_id,
        "title": deal.title,
        "owner": deal.owner_id,
        "amount": str(deal.amount),
        "stage": deal.stage_id,
        "probability": str(deal.probability),
        "opened_on": deal.opened_on.isoformat(),
        "expected_close": deal.expected_close.isoformat() if deal.expected_close else "",
        "channel": deal.channel,
        "product": "",
        "external_id": "",
    }
    for prefix in ("stage_changes", "activities"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data["stage_changes-INITIAL_FORMS"] = str(deal.stage_changes.count())
    data["stage_changes-TOTAL_FORMS"] = data["stage_changes-INITIAL_FORMS"]
    for n, change in enumerate(deal.stage_changes.all()):
        data[f"stage_changes-{n}-id"] = change.pk
        data[f"stage_changes-{n}-deal"] = deal.pk
    data.update(changes)
    return data


def test_a_stage_change_made_in_admin_is_recorded(admin_client_, admin_user, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    url = reverse("admin:sales_deal_change", args=[deal.pk])
    buy = Stage.objects.get(key="buy")
    response = admin_client_.post(url, deal_form(deal, stage=buy.pk, title="Renamed in admin"))
    assert response.status_code == 302, response.content.decode()[:2000]
    deal.refresh_from_db()
    assert (deal.title, deal.stage, deal.status) == ("Renamed in admin", buy, "won")
    last = StageChange.objects.filter(deal=deal).last()
    assert (last.from_stage.key, last.to_stage.key, last.changed_by) == ("lead", "buy", admin_user)
    assert SalesRecord.objects.filter(deal=deal).count() == 1


def test_a_deal_added_in_admin_enters_the_pipeline(admin_client_, rep):
    template = DealFactory(owner=rep, customer__owner=rep)
    product = ProductFactory()
    data = deal_form(template, title="Added in admin", product=product.pk, probability="")
    data["stage_changes-TOTAL_FORMS"] = data["stage_changes-INITIAL_FORMS"] = "0"
    response = admin_client_.post(reverse("admin:sales_deal_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    deal = Deal.objects.get(title="Added in admin")
    assert deal.probability == Stage.objects.get(key="lead").default_probability
    assert list(deal.stage_changes.values_list("to_stage__key", flat=True)) == ["lead"]


def test_admin_refuses_moving_a_lost_deal(admin_client_, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    deal.mark_lost(lost_reason(), note="No budget", by=rep)
    url = reverse("admin:sales_deal_change", args=[deal.pk])
    response = admin_client_.post(url, deal_form(deal, stage=Stage.objects.get(key="choose").pk))
    assert response.status_code == 200
    assert "A lost deal cannot move" in response.content.decode()
    assert StageChange.objects.filter(deal=deal).count() == 2


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_stage_changes_read_as_deal_and_stage_names_in_admin(admin_client_, rep):
    deal = DealFactory(owner=rep, customer__owner=rep, title="Harbor fleet")
    deal.move_to(Stage.objects.get(key="understand"), by=rep)
    url = reverse("admin:sales_deal_change", args=[deal.pk])
    body = admin_client_.get(url).content.decode()
    assert "Harbor fleet: new deal → Lead (Open)" in body
    assert "Harbor fleet: Lead → Understand (Open)" in body
    # The inline's rows come with their deal and stages: four more moves cost no more queries.
    before = queries_for(admin_client_, url)
    for key in ("choose", "lead", "understand", "choose"):
        deal.move_to(Stage.objects.get(key=key), by=rep)
    assert queries_for(admin_client_, url) == before
