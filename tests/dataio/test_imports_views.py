"""Importing in the browser: upload, map, preview with every problem, commit; admins and managers only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sales.models import Deal
from tests.dataio.imports_helpers import FIXTURES, deals_text
from tests.factories import RepFactory


def _upload(client, text: str | bytes, kind="deals", name="deals.csv", ready=""):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        reverse("dataio:import_upload"),
        {
            "kind": kind,
            "file": SimpleUploadedFile(name, data, content_type="text/csv"),
            "ready_mapping": ready,
        },
    )


def _mapping_post(client, **overrides):
    """Take the form as the page shows it (the guess) and post it with some columns changed."""
    form = client.get(reverse("dataio:import_map")).context["form"]
    data = {name: (bound.value() or "") for name, bound in ((n, form[n]) for n in form.fields)}
    data.update(overrides)
    return client.post(reverse("dataio:import_map"), {**data, "preview": "1"})


@pytest.fixture
def owners(db):
    return RepFactory(username="alice"), RepFactory(username="bob")


def test_a_rep_may_not_import(rep_client):
    assert rep_client.get(reverse("dataio:import_upload")).status_code == 403
    assert rep_client.get(reverse("dataio:import_map")).status_code == 403
    assert rep_client.post(reverse("dataio:import_commit")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    assert client.get(reverse("dataio:import_upload")).status_code == 302


def test_an_admin_uploads_maps_previews_and_commits(owners, admin_client_):
    response = _upload(admin_client_, deals_text())
    assert response.status_code == 302 and response.url == reverse("dataio:import_map")
    page = admin_client_.get(reverse("dataio:import_map"))
    assert page.status_code == 200
    form = page.context["form"]
    # The guess from the header names.
    assert form["col__external_id"].value() == "Ref"
    assert form["col__title"].value() == "Deal"
    assert form["col__customer"].value() == "Company"
    assert form["col__amount"].value() == "Value"
    assert form["col__stage"].value() == "Stage"
    response = _mapping_post(
        admin_client_,
        col__owner="Rep",
        col__is_won="Won",
        col__opened_on="Opened",
        col__closed_on="Closed",
        col__lost_reason="Lost because",
        missing__customer="create",
        missing__product="create",
        val__stage__0="buy",  # Won
        val__stage__1="lost",  # Lost
        val__stage__2="choose",  # Proposal
        val__stage__3="understand",  # Qualified
    )
    assert response.status_code == 302 and response.url == reverse("dataio:import_preview")
    preview = admin_client_.get(reverse("dataio:import_preview"))
    assert preview.context["report"].ok, preview.context["report"].problems
    assert preview.context["report"].created == 10
    assert Deal.objects.count() == 0
    response = admin_client_.post(reverse("dataio:import_commit"))
    assert response.status_code == 302
    assert Deal.objects.count() == 10
    assert Deal.objects.get(external_id="D-001").closed_on.year == 2017
    # The upload is gone after the import.
    assert admin_client_.get(reverse("dataio:import_map")).status_code == 302


def test_the_preview_lists_every_problem_by_row_and_column(owners, admin_client_):
    text = (
        deals_text()
        .replace("1999.99", "lots")
        .replace("D-003,Harbour cafés,Harbour Foods,bob", "D-003,Harbour cafés,Harbour Foods,zed")
    )
    _upload(admin_client_, text)
    _mapping_post(
        admin_client_, col__owner="Rep", col__is_won="Won", col__lost_reason="Lost because",
        missing__customer="create", missing__product="create",
        val__stage__0="buy", val__stage__1="lost", val__stage__2="choose", val__stage__3="understand",
    )  # fmt: skip
    preview = admin_client_.get(reverse("dataio:import_preview"))
    problems = [(p.row, p.column) for p in preview.context["report"].problems]
    assert problems == [(4, "Rep"), (5, "Value")], preview.context["report"].problems
    assert b"Nothing will be imported" in preview.content
    assert admin_client_.post(reverse("dataio:import_commit")).status_code == 302
    assert Deal.objects.count() == 0


def test_a_ready_mapping_is_used_by_name(admin_client_):
    _upload(admin_client_, (FIXTURES / "salesforce-Account.csv").read_bytes(), kind="customers",
            ready="salesforce-account.json")  # fmt: skip
    preview = admin_client_.get(reverse("dataio:import_preview"))
    assert preview.context["report"].ok, preview.context["report"].problems
    assert preview.context["report"].created == 11


def test_a_ready_mapping_for_another_kind_is_refused(admin_client_):
    response = _upload(admin_client_, deals_text(), kind="deals", ready="salesforce-account.json")
    assert response.status_code == 200
    assert "not deals" in str(response.context["form"].errors["ready_mapping"])


def test_a_manager_may_import_and_another_users_upload_is_out_of_reach(
    owners, client, manager, team, admin_user
):
    client.force_login(admin_user)
    _upload(client, deals_text())
    token = client.session["crm_import"]["token"]
    client.force_login(manager)
    session = client.session
    session["crm_import"] = {"token": token, "filename": "x.csv", "mapping": {"kind": "deals", "fields": {}}}
    session.save()
    # The token alone is not enough: uploads are kept per user.
    assert client.get(reverse("dataio:import_map")).status_code == 302
    assert client.get(reverse("dataio:import_upload")).status_code == 200


def test_the_mapping_can_be_downloaded_for_the_command_line(owners, admin_client_):
    _upload(admin_client_, deals_text())
    response = admin_client_.get(reverse("dataio:import_mapping_json"))
    assert response["Content-Type"] == "application/json"
    assert response.json()["fields"]["title"] == "Deal"


def test_committing_an_unfinished_mapping_sends_the_user_back_to_it(owners, admin_client_):
    _upload(admin_client_, b"Something,Else\n1,2\n")
    response = admin_client_.post(reverse("dataio:import_commit"))
    assert response.status_code == 302 and response.url == reverse("dataio:import_map")
    assert Deal.objects.count() == 0


MAPPED = {
    "col__owner": "Rep",
    "col__is_won": "Won",
    "col__lost_reason": "Lost because",
    "missing__customer": "create",
    "missing__product": "create",
    "val__stage__0": "buy",
    "val__stage__1": "lost",
    "val__stage__2": "choose",
    "val__stage__3": "understand",
}


def test_a_successful_preview_shows_the_first_rows_as_they_will_be_read(owners, admin_client_):
    _upload(admin_client_, deals_text())
    _mapping_post(admin_client_, **MAPPED)
    preview = admin_client_.get(reverse("dataio:import_preview"))
    assert preview.context["report"].ok
    columns, rows = preview.context["preview_columns"], preview.context["preview_rows"]
    assert len(rows) == 10
    first = dict(zip(columns, rows[0], strict=True))
    expected = deals_text().splitlines()[1].split(",")
    assert first["Title"] == expected[1] and first["Customer"] == expected[2]
    assert "The first 10 rows as they will be read" in preview.content.decode()


def test_a_corrected_file_keeps_the_mapping_made_for_the_first(owners, admin_client_):
    text = deals_text().replace("1999.99", "lots")
    _upload(admin_client_, text)
    _mapping_post(admin_client_, **MAPPED)
    assert not admin_client_.get(reverse("dataio:import_preview")).context["report"].ok
    # "Upload a corrected file": the same columns, so the mapping chosen by hand is kept.
    _upload(admin_client_, deals_text())
    preview = admin_client_.get(reverse("dataio:import_preview"))
    assert preview.context["report"].ok, preview.context["report"].problems
    assert preview.context["report"].created == 10
    # A file without one of the mapped columns starts from a fresh guess instead.
    _upload(admin_client_, deals_text().replace("Rep", "Salesperson", 1))
    form = admin_client_.get(reverse("dataio:import_map")).context["form"]
    assert form["col__owner"].value() != "Rep"
