"""Pages over data imported from the command line, whose stage moves have no recorded user."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from sales.models import Deal, StageChange
from tests.dataio.imports_helpers import DEALS_MAPPING, deals_text
from tests.factories import RepFactory, TeamFactory

ACTIVITIES_MAPPING = {
    "kind": "activities",
    "date_formats": ["%Y-%m-%d"],
    "fields": {"external_id": "Id", "kind": "Type", "subject": "Subject", "deal": "Deal", "due_at": "Due"},
}


@pytest.fixture
def imported(tmp_path, manager):
    """The hand-made deals file and a follow-up call on one of its open deals, imported without --user."""
    alice = RepFactory(username="alice")
    TeamFactory(name="Imported", manager=manager, members=[alice, RepFactory(username="bob")])
    files = {
        "deals": (DEALS_MAPPING, deals_text()),
        "activities": (
            ACTIVITIES_MAPPING,
            "Id,Type,Subject,Deal,Due\nA-1,call,Imported follow-up,D-010,2018-03-01\n",
        ),
    }
    for kind, (mapping, text) in files.items():
        (tmp_path / f"{kind}.json").write_text(json.dumps(mapping))
        (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
        call_command(
            "import_data", kind, str(tmp_path / f"{kind}.csv"), "--mapping", str(tmp_path / f"{kind}.json")
        )
    assert not StageChange.objects.exclude(changed_by=None).exists()
    return alice


@pytest.fixture
def alice_client(client, imported):
    client.force_login(imported)
    return client


def test_an_imported_won_deal_opens_with_its_moves_by_the_system(alice_client):
    deal = Deal.objects.get(external_id="D-001")
    response = alice_client.get(reverse("sales:deal_detail", args=[deal.pk]))
    assert response.status_code == 200
    assert "System ·" in response.content.decode()


def test_an_imported_open_deal_opens_with_its_imported_activity(alice_client):
    deal = Deal.objects.get(external_id="D-010")
    response = alice_client.get(reverse("sales:deal_detail", args=[deal.pk]))
    assert response.status_code == 200
    assert b"Imported follow-up" in response.content


def test_the_customer_of_imported_deals_opens(alice_client):
    customer = Deal.objects.get(external_id="D-001").customer
    response = alice_client.get(reverse("sales:customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    assert b"Imported follow-up" in response.content


@pytest.mark.parametrize("name", ["sales:pipeline", "sales:home", "sales:activity_list"])
def test_the_reps_own_pages_show_the_imported_work(alice_client, name):
    response = alice_client.get(reverse(name))
    assert response.status_code == 200
    assert "Café Müller grinders" in response.content.decode()


def test_the_managers_dashboard_opens_over_imported_deals(manager_client, imported):
    response = manager_client.get(reverse("sales:dashboard"))
    assert response.status_code == 200
    assert "Café Müller grinders" in response.content.decode()
