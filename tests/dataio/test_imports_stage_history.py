"""The stage-history import: each deal's path as the source kept it, and the metrics over it."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from dataio.imports import Mapping, run_import
from sales.metrics import Scope, stage_flow, visible_sources
from sales.models import Deal, SalesRecord, Stage, StageChange
from tests.dataio.imports_helpers import DEALS_MAPPING, FIXTURES, deals_text
from tests.factories import RepFactory

HISTORY_MAPPING = {
    "kind": "stage_history",
    "date_formats": ["%Y-%m-%d %H:%M"],
    "fields": {
        "deal": "Deal",
        "stage": {
            "column": "Stage",
            "values": {"Won": "buy", "Lost": "lost", "Proposal": "choose", "Qualified": "understand"},
        },
        "entered_at": "Entered at",
        "amount": "Amount",
        "lost_reason": {"default": "Lost in the old system"},
    },
}

# Each deal's path, worked out by hand from stage_history.csv: (from, to, status, day).
PATHS = {
    "D-001": [
        (None, "lead", "open", "2017-01-10"),
        ("lead", "understand", "open", "2017-01-20"),
        ("understand", "choose", "open", "2017-02-01"),
        ("choose", "understand", "open", "2017-02-10"),
        ("understand", "choose", "open", "2017-02-20"),
        ("choose", "buy", "won", "2017-03-15"),
    ],
    "D-002": [
        (None, "lead", "open", "2017-02-01"),
        ("lead", "understand", "open", "2017-02-15"),
        ("understand", "choose", "open", "2017-03-01"),
        ("choose", "buy", "won", "2017-03-20"),
        ("buy", "choose", "lost", "2017-04-20"),  # lost where it was before it was won
    ],
    "D-003": [
        (None, "lead", "open", "2017-05-05"),
        ("lead", "choose", "open", "2017-05-10"),
        ("choose", "buy", "won", "2017-05-30"),
    ],
    "D-004": [
        (None, "lead", "open", "2017-06-01"),
        ("lead", "understand", "open", "2017-06-10"),
        ("understand", "choose", "open", "2017-07-01"),
        ("choose", "understand", "open", "2017-08-01"),
    ],
    "D-005": [
        (None, "lead", "open", "2017-09-01"),
        ("lead", "understand", "open", "2017-09-15"),
        ("understand", "choose", "open", "2017-10-01"),
        ("choose", "buy", "won", "2017-12-01"),
        ("buy", "use", "won", "2017-12-20"),
    ],
    "D-006": [
        (None, "lead", "open", "2017-10-10"),
        ("lead", "understand", "open", "2017-10-20"),
        ("understand", "understand", "lost", "2017-11-30"),
    ],
}


@pytest.fixture
def files(tmp_path, db):
    RepFactory(username="alice")
    RepFactory(username="bob")
    deals_map = tmp_path / "deals.json"
    deals_map.write_text(json.dumps(DEALS_MAPPING))
    deals = tmp_path / "deals.csv"
    deals.write_text(deals_text(), encoding="utf-8")
    history_map = tmp_path / "history.json"
    history_map.write_text(json.dumps(HISTORY_MAPPING))
    call_command("import_data", "deals", str(deals), "--mapping", str(deals_map))
    return history_map, FIXTURES / "stage_history.csv", tmp_path


def _import(history_map, path):
    call_command("import_data", "stage_history", str(path), "--mapping", str(history_map))


def _path(ref: str) -> list[tuple]:
    keys = {s.pk: s.key for s in Stage.objects.all()}
    return [
        (keys.get(c.from_stage_id), keys[c.to_stage_id], c.status, str(timezone.localdate(c.changed_at)))
        for c in StageChange.objects.filter(deal__external_id=ref).order_by("changed_at", "pk")
    ]


def test_each_deal_gets_the_exact_path_of_the_file(files, capsys):
    history_map, path, _tmp = files
    _import(history_map, path)
    for ref, expected in PATHS.items():
        assert _path(ref) == expected, ref
    # Deals the file does not name keep the path the deals import gave them.
    assert _path("D-008") == [(None, "lead", "open", "2017-11-01"), ("lead", "buy", "won", "2018-02-28")]


def test_the_deal_follows_its_last_entry(files):
    history_map, path, _tmp = files
    _import(history_map, path)
    deals = {d.external_id: d for d in Deal.objects.select_related("stage")}
    d2, d4, d5 = deals["D-002"], deals["D-004"], deals["D-005"]
    assert (d2.status, d2.stage.key, d2.closed_on) == ("lost", "choose", datetime.date(2017, 4, 20))
    assert d2.lost_reason.name == "Chose a competitor"  # the deal's own reason is kept
    assert (d4.status, d4.stage.key, d4.closed_on) == ("open", "understand", None)
    assert d4.probability == Stage.objects.get(key="understand").default_probability
    assert (d5.status, d5.stage.key, d5.closed_on) == ("won", "use", datetime.date(2017, 12, 1))
    assert deals["D-003"].amount == Decimal("3250.00")  # the last amount the file gives
    assert deals["D-001"].opened_on == datetime.date(2017, 1, 10)


def test_a_won_path_has_its_sale_and_a_won_then_lost_path_has_none(files, capsys):
    history_map, path, _tmp = files
    # The deals file says D-002 was lost; win it first so it has a sale the history must undo.
    d2 = Deal.objects.get(external_id="D-002")
    SalesRecord.objects.create(
        deal=d2, customer=d2.customer, owner=d2.owner, amount=d2.amount, sold_on=d2.closed_on
    )
    _import(history_map, path)
    out = capsys.readouterr().out
    assert "ends lost, so its sales record of 8400.50 on 2017-04-20 is removed" in out
    sales = {s.deal.external_id: s for s in SalesRecord.objects.select_related("deal")}
    assert "D-002" not in sales
    assert sales["D-001"].sold_on == datetime.date(2017, 3, 15)
    assert sales["D-001"].amount == Decimal("12500.00")
    assert sales["D-005"].sold_on == datetime.date(2017, 12, 1)
    assert SalesRecord.objects.filter(deal__external_id__in=["D-001", "D-003", "D-005"]).count() == 3


def test_importing_the_same_file_twice_gives_the_same_result(files, capsys):
    history_map, path, _tmp = files
    _import(history_map, path)
    first = {ref: _path(ref) for ref in PATHS}
    versions = dict(Deal.objects.values_list("external_id", "version"))
    _import(history_map, path)
    assert "0 updated, 6 unchanged" in capsys.readouterr().out
    assert {ref: _path(ref) for ref in PATHS} == first
    assert dict(Deal.objects.values_list("external_id", "version")) == versions
    assert SalesRecord.objects.count() == 5  # D-001, 003, 005 from history; D-008, 009 untouched


def test_the_funnel_and_time_in_stage_equal_a_hand_count(files, admin_user):
    history_map, path, _tmp = files
    _import(history_map, path)
    # Deals opened from January to October 2017: D-001 to D-006, all six from the file.
    scope = Scope(start=datetime.date(2017, 1, 1), end=datetime.date(2017, 10, 31))
    stages = list(Stage.objects.order_by("order"))
    funnel, times = stage_flow(visible_sources(admin_user), scope, stages)
    assert {s.key: s.reached for s in funnel} == {"lead": 6, "understand": 5, "choose": 5, "buy": 4}
    # Days each stay lasted, by hand from the file (every entry is at 09:00).
    stays = {
        "lead": [10, 14, 5, 9, 14, 10],
        "understand": [12, 10, 14, 21, 16, 41],
        "choose": [9, 23, 19, 20, 31, 61],
        "buy": [31, 19],
    }
    by_key = {t.key: t for t in times}
    for key, days in stays.items():
        assert by_key[key].stays == len(days), key
        assert by_key[key].mean_days == (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1")), key


@pytest.mark.parametrize(
    ("change", "row", "column", "reason"),
    [
        (("D-004,Qualified,2017-08-01", "D-404,Qualified,2017-08-01"), 20, "Deal", "No deal “D-404”"),
        (("D-004,Qualified,2017-08-01", "D-004,Signed,2017-08-01"), 20, "Stage", "“Signed” is not a stage"),
        (("D-004,Qualified,2017-08-01", "D-004,Qualified,2017-02-30"), 20, "Entered at", "is not a date"),
        (("D-004,Qualified,2017-08-01", "D-004,Qualified,2017-06-05"), 20, "Entered at", "row 19"),
        (("D-004,Qualified,2017-08-01", "D-004,Qualified,2099-08-01"), 20, "Entered at", "in the future"),
    ],
)
def test_a_bad_row_writes_nothing_and_is_named(files, capsys, change, row, column, reason):
    history_map, path, tmp = files
    bad = tmp / "bad.csv"
    bad.write_text(path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    before = list(StageChange.objects.order_by("pk").values_list("pk", flat=True))
    with pytest.raises(CommandError, match="1 bad row"):
        _import(history_map, bad)
    err = capsys.readouterr().err
    assert f"row {row}, {column}:" in err and reason in err
    assert list(StageChange.objects.order_by("pk").values_list("pk", flat=True)) == before


def test_an_earlier_entry_of_another_deal_is_fine(files):
    history_map, path, _tmp = files
    # Row 3 (D-001, 2017-01-20) comes after row 2 (D-002, 2017-02-01): other deals, any order.
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[2].startswith("D-002") and lines[3].startswith("D-001,Qualified,2017-01-20")
    report = run_import(path.read_bytes(), "h.csv", Mapping.from_dict(HISTORY_MAPPING), user=None)
    assert report.ok, report.problems


def test_a_rep_cannot_rewrite_another_reps_deals(files, other_rep):
    history_map, path, _tmp = files
    report = run_import(path.read_bytes(), "h.csv", Mapping.from_dict(HISTORY_MAPPING), user=other_rep)
    assert not report.committed
    assert {p.column for p in report.problems} == {"Deal"}
    assert _path("D-001") == [(None, "lead", "open", "2017-01-10"), ("lead", "buy", "won", "2017-03-15")]


def test_pages_render_for_deals_with_an_imported_path(files, admin_client_):
    history_map, path, _tmp = files
    _import(history_map, path)
    for deal in Deal.objects.filter(external_id__in=list(PATHS)):
        assert admin_client_.get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 200
    assert admin_client_.get(reverse("sales:pipeline")).status_code == 200
    assert admin_client_.get(reverse("sales:dashboard")).status_code == 200


def test_a_path_won_and_then_reopened_in_the_source_ends_open_without_its_sale(files, tmp_path):
    history_map, path, _tmp = files
    reopened = tmp_path / "reopened.csv"
    reopened.write_text(
        "Deal,Stage,Entered at,Amount\n"
        "D-003,Lead,2017-05-05 09:00,\n"
        "D-003,Won,2017-05-30 09:00,\n"
        "D-003,Proposal,2017-06-10 09:00,\n",
        encoding="utf-8",
    )
    assert SalesRecord.objects.filter(deal__external_id="D-003").exists()  # from the deals import
    report = run_import(reopened.read_bytes(), "r.csv", Mapping.from_dict(HISTORY_MAPPING), user=None)
    assert report.committed, report.problems
    assert [w.row for w in report.warnings] == [4]
    deal = Deal.objects.get(external_id="D-003")
    assert (deal.status, deal.stage.key, deal.closed_on) == ("open", "choose", None)
    assert not SalesRecord.objects.filter(deal=deal).exists()
    assert _path("D-003")[-1] == ("buy", "choose", "open", "2017-06-10")


def test_a_path_ending_lost_takes_the_mapping_default_when_the_deal_has_no_reason(files, tmp_path):
    history_map, path, _tmp = files
    lost = tmp_path / "lost.csv"
    lost.write_text(
        "Deal,Stage,Entered at,Amount\nD-004,Lead,2017-06-01 09:00,\nD-004,Lost,2017-07-01 09:00,\n"
    )
    report = run_import(lost.read_bytes(), "l.csv", Mapping.from_dict(HISTORY_MAPPING), user=None)
    assert report.committed, report.problems
    deal = Deal.objects.get(external_id="D-004")
    # The mapping's default names no reason of the list: it is kept as the note of "Other".
    assert (deal.status, deal.lost_reason.name, deal.lost_note, deal.closed_on) == (
        "lost",
        "Other",
        "Lost in the old system",
        datetime.date(2017, 7, 1),
    )
