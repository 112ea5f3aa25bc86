"""The shipped Salesforce presets: optional columns, open dates, and the OpportunityHistory export."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from dataio.imports import Mapping, run_import
from sales.models import Deal, SalesRecord, Stage, StageChange
from tests.dataio.imports_helpers import DEALS_MAPPING, FIXTURES, deals_text
from tests.dataio.test_imports_deals import MAPPINGS
from tests.factories import RepFactory

ACCOUNT_REQUIRED = ["Id", "Name"]
OPPORTUNITY_REQUIRED = ["Id", "Name", "AccountId", "StageName", "CloseDate"]
HISTORY_REQUIRED = ["OpportunityId", "StageName", "CreatedDate"]


def _preset(name: str) -> Mapping:
    return Mapping.from_dict(json.loads((MAPPINGS / name).read_text(encoding="utf-8")))


def _only(path, columns: list[str]) -> bytes:
    """The export as it would be with only ``columns`` ticked."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _import_all(user, *, minimal: bool):
    files = [
        ("salesforce-Account.csv", "salesforce-account.json", ACCOUNT_REQUIRED),
        ("salesforce-Opportunity.csv", "salesforce-opportunity.json", OPPORTUNITY_REQUIRED),
    ]
    reports = []
    for name, preset, required in files:
        data = _only(FIXTURES / name, required) if minimal else (FIXTURES / name).read_bytes()
        report = run_import(data, name, _preset(preset), user=user)
        assert report.committed, report.problems
        reports.append(report)
    return reports


def test_an_export_with_only_the_required_columns_imports(admin_user):
    accounts, opportunities = _import_all(admin_user, minimal=True)
    assert "Phone" in accounts.absent_optional and "Description" in accounts.absent_optional
    assert set(opportunities.absent_optional) == {
        "OwnerId", "Amount", "IsWon", "IsClosed", "CreatedDate", "LeadSource", "Product__c"
    }  # fmt: skip
    assert Customer.objects.count() == 11 and Deal.objects.count() == 26
    source = {r["Id"]: r for r in csv.DictReader(io.StringIO(
        (FIXTURES / "salesforce-Opportunity.csv").read_text(encoding="utf-8-sig")))}  # fmt: skip
    for deal in Deal.objects.all():
        row = source[deal.external_id]
        close = datetime.date.fromisoformat(row["CloseDate"])
        # No CreatedDate: the preset opens a deal on its close date, and says so.
        assert deal.opened_on == close
        expected = {"Closed Won": "won", "Closed Lost": "lost"}.get(row["StageName"], "open")
        assert deal.status == expected, deal.external_id
        assert deal.amount == Decimal("0.00") and deal.owner == admin_user
    assert len(opportunities.warnings) == 26
    assert SalesRecord.objects.count() == Deal.objects.won().count() > 0


def test_the_full_export_imports_with_no_optional_column_absent(admin_user):
    accounts, opportunities = _import_all(admin_user, minimal=False)
    assert accounts.absent_optional == [] and opportunities.absent_optional == []
    assert Deal.objects.count() == 26
    assert Deal.objects.get(external_id="006Ec00000AieKHIAZ").amount == Decimal("1442558.88")


def test_a_column_the_preset_requires_is_still_refused(admin_user):
    data = _only(FIXTURES / "salesforce-Account.csv", ["Id"])
    report = run_import(data, "a.csv", _preset("salesforce-account.json"), user=admin_user)
    assert not report.committed and [p.column for p in report.problems] == ["Name"]


def test_the_command_names_the_absent_optional_columns(tmp_path, admin_user, capsys):
    path = tmp_path / "Account.csv"
    path.write_bytes(_only(FIXTURES / "salesforce-Account.csv", ACCOUNT_REQUIRED + ["Phone"]))
    call_command("import_data", "customers", str(path), "--mapping",
                 str(MAPPINGS / "salesforce-account.json"), "--user", admin_user.username)  # fmt: skip
    out = capsys.readouterr().out
    assert "optional columns not in the file: AccountSource, BillingCity" in out
    assert "Phone," not in out.split("optional columns not in the file:")[1].splitlines()[0]


@pytest.mark.parametrize("minimal", [False, True])
def test_the_opportunity_history_preset_imports_the_salesforce_format(admin_user, tmp_path, minimal):
    _import_all(admin_user, minimal=False)
    path = tmp_path / "OpportunityHistory.csv"
    source = FIXTURES / "salesforce-OpportunityHistory.csv"
    path.write_bytes(_only(source, HISTORY_REQUIRED) if minimal else source.read_bytes())
    call_command("import_data", "stage_history", str(path), "--mapping",
                 str(MAPPINGS / "salesforce-opportunity-history.json"))  # fmt: skip
    keys = {s.pk: s.key for s in Stage.objects.all()}

    def path_of(ref):
        return [
            (keys[c.to_stage_id], c.status, timezone.localtime(c.changed_at).strftime("%Y-%m-%d %H:%M"))
            for c in StageChange.objects.filter(deal__external_id=ref).order_by("changed_at", "pk")
        ]

    assert path_of("006Ec00000AieKHIAZ") == [
        ("lead", "open", "2023-08-01 09:15"),
        ("understand", "open", "2023-09-05 14:30"),
        ("choose", "open", "2023-10-10 11:00"),
        ("buy", "won", "2023-11-12 10:00"),
    ]
    assert path_of("006Ec00000AieKwIAJ") == [
        ("lead", "open", "2023-06-01 08:00"),
        ("understand", "open", "2023-07-03 00:05"),
        ("buy", "won", "2023-09-01 15:00"),
        ("understand", "lost", "2023-10-20 09:40"),
    ]
    assert path_of("006Ec00000AieKIIAZ") == [
        ("lead", "open", "2024-01-22 16:14"),
        ("choose", "open", "2024-02-10 10:00"),
        ("understand", "open", "2024-03-01 12:30"),
        ("choose", "open", "2024-04-15 09:00"),
    ]
    won_then_lost = Deal.objects.get(external_id="006Ec00000AieKwIAJ")
    assert (won_then_lost.status, won_then_lost.closed_on) == ("lost", datetime.date(2023, 10, 20))
    assert won_then_lost.opened_on == datetime.date(2023, 6, 1)
    assert not SalesRecord.objects.filter(deal=won_then_lost).exists()
    won = SalesRecord.objects.get(deal__external_id="006Ec00000AieKHIAZ")
    assert won.sold_on == datetime.date(2023, 11, 12)
    if not minimal:
        # The amount of each snapshot is kept on the path, and the last one on the deal.
        assert Deal.objects.get(external_id="006Ec00000AieKIIAZ").amount == Decimal("328515.27")
        first = StageChange.objects.filter(deal__external_id="006Ec00000AieKHIAZ").order_by("changed_at")[0]
        assert (first.amount, first.probability) == (Decimal("1200000.00"), Decimal("10.00"))


def _deals_without_open_date(**changes) -> tuple[bytes, Mapping]:
    text = deals_text().replace("D-004,Seaside refit,Harbour Foods,bob,1999.99,Proposal,,2017-06-01,",
                                "D-004,Seaside refit,Harbour Foods,bob,1999.99,Proposal,,,")  # fmt: skip
    text = text.replace(",Won,1,2017-01-10,", ",Won,1,,")
    return text.encode(), Mapping.from_dict({**DEALS_MAPPING, **changes})


@pytest.fixture
def reps(db):
    RepFactory(username="alice")
    RepFactory(username="bob")


def test_a_deal_with_no_open_date_is_a_row_problem_by_default(reps):
    data, mapping = _deals_without_open_date()
    report = run_import(data, "d.csv", mapping, user=None)
    assert not report.committed and Deal.objects.count() == 0
    assert {(p.row, p.column) for p in report.problems} == {(2, "Opened"), (5, "Opened")}
    assert "No open date" in report.problems[0].reason


def test_a_deal_with_no_open_date_can_open_on_its_close_date(reps):
    data, mapping = _deals_without_open_date(missing_open_date="close_date")
    assert run_import(data, "d.csv", mapping, user=None).committed
    assert Deal.objects.get(external_id="D-001").opened_on == datetime.date(2017, 3, 15)  # closed
    assert Deal.objects.get(external_id="D-004").opened_on == datetime.date(2017, 9, 30)  # expected
    assert not Deal.objects.filter(opened_on=timezone.localdate()).exists()


def test_first_stage_entry_opens_on_the_stage_date_or_says_it_waits_for_the_history(reps):
    data, mapping = _deals_without_open_date(missing_open_date="first_stage_entry")
    text = data.decode().replace("Expected close,", "Expected close,Stage since,", 1)
    lines = text.splitlines()
    lines = [lines[0]] + [
        line.replace(",2017-09-30,", ",2017-09-30,2017-07-01,") if line.startswith("D-004") else line
        for line in lines[1:]
    ]
    lines = [lines[0]] + [_insert_blank(line) if not line.startswith("D-004") else line for line in lines[1:]]
    mapping.fields["stage_entered_on"] = Mapping.from_dict(
        {**DEALS_MAPPING, "fields": {**DEALS_MAPPING["fields"], "stage_entered_on": "Stage since"}}
    ).fields["stage_entered_on"]
    report = run_import("\n".join(lines).encode(), "d.csv", mapping, user=None)
    assert report.committed, report.problems
    assert Deal.objects.get(external_id="D-004").opened_on == datetime.date(2017, 7, 1)
    assert Deal.objects.get(external_id="D-001").opened_on == datetime.date(2017, 3, 15)
    assert [(w.row, w.column) for w in report.warnings] == [(2, "Opened")]


def _insert_blank(line: str) -> str:
    """Add an empty "Stage since" cell after the expected close (the 10th cell)."""
    cells = next(csv.reader([line]))
    cells.insert(10, "")
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def _upload(client, data: bytes, kind: str, ready: str, name: str):
    return client.post(
        reverse("dataio:import_upload"),
        {
            "kind": kind,
            "file": SimpleUploadedFile(name, data, content_type="text/csv"),
            "ready_mapping": ready,
        },
    )


def _through_the_map_page(client):
    """Post the mapping page as it is shown, then open the preview."""
    form = client.get(reverse("dataio:import_map")).context["form"]
    data = {n: (form[n].value() or "") for n in form.fields}
    client.post(reverse("dataio:import_map"), {**data, "preview": "1"})
    return client.get(reverse("dataio:import_preview"))


def test_the_browser_preview_names_the_absent_optional_columns(admin_client_):
    data = _only(FIXTURES / "salesforce-Account.csv", ACCOUNT_REQUIRED)
    _upload(admin_client_, data, "customers", "salesforce-account.json", "Account.csv")
    preview = _through_the_map_page(admin_client_)
    assert preview.context["report"].ok, preview.context["report"].problems
    page = preview.content.decode()
    assert "Optional columns not in this file" in page and "Description" in page


def test_the_browser_imports_a_stage_history_with_its_preset(admin_user, admin_client_):
    _import_all(admin_user, minimal=False)
    data = (FIXTURES / "salesforce-OpportunityHistory.csv").read_bytes()
    response = _upload(admin_client_, data, "stage_history", "salesforce-opportunity-history.json", "h.csv")
    assert response.status_code == 302
    preview = _through_the_map_page(admin_client_)
    assert preview.context["report"].ok, preview.context["report"].problems
    assert preview.context["report"].updated == 3
    assert admin_client_.post(reverse("dataio:import_commit")).status_code == 302
    assert Deal.objects.get(external_id="006Ec00000AieKwIAJ").status == "lost"
    assert not SalesRecord.objects.filter(deal__external_id="006Ec00000AieKwIAJ").exists()
