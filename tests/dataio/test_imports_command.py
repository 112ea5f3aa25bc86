"""The import_data command: dry runs, row-level errors, and the shipped Salesforce mappings."""

import json

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer
from sales.models import Deal
from tests.dataio.imports_helpers import DEALS_MAPPING, FIXTURES, deals_text
from tests.dataio.test_imports_deals import MAPPINGS
from tests.factories import RepFactory


@pytest.fixture
def files(tmp_path, db):
    RepFactory(username="alice")
    RepFactory(username="bob")
    mapping = tmp_path / "deals.json"
    mapping.write_text(json.dumps(DEALS_MAPPING))
    good = tmp_path / "deals.csv"
    good.write_bytes(deals_text().encode("utf-16"))
    bad = tmp_path / "bad.csv"
    bad.write_text(deals_text().replace("8400.50", "8400.50.5"), encoding="cp1252")
    return mapping, good, bad


def test_a_dry_run_writes_nothing(files, capsys):
    mapping, good, _bad = files
    call_command("import_data", "deals", str(good), "--mapping", str(mapping), "--dry-run")
    assert "10 would be created" in capsys.readouterr().out
    assert Deal.objects.count() == 0


def test_it_imports_and_a_second_run_changes_nothing(files, capsys):
    mapping, good, _bad = files
    call_command("import_data", "deals", str(good), "--mapping", str(mapping))
    call_command("import_data", "deals", str(good), "--mapping", str(mapping))
    assert "0 were created, 0 updated, 10 unchanged" in capsys.readouterr().out
    assert Deal.objects.count() == 10


def test_a_bad_row_fails_the_command_and_names_the_row(files, capsys):
    mapping, _good, bad = files
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_data", "deals", str(bad), "--mapping", str(mapping))
    assert "row 3, Value:" in capsys.readouterr().err
    assert Deal.objects.count() == 0


def test_a_mapping_for_another_kind_is_refused(files):
    mapping, good, _bad = files
    with pytest.raises(CommandError, match="for deals, not customers"):
        call_command("import_data", "customers", str(good), "--mapping", str(mapping))


def test_the_salesforce_files_import_with_the_shipped_mappings(db, capsys):
    call_command(
        "import_data", "customers", str(FIXTURES / "salesforce-Account.csv"),
        "--mapping", str(MAPPINGS / "salesforce-account.json"),
    )  # fmt: skip
    call_command(
        "import_data", "deals", str(FIXTURES / "salesforce-Opportunity.csv"),
        "--mapping", str(MAPPINGS / "salesforce-opportunity.json"),
    )  # fmt: skip
    assert Customer.objects.count() == 11
    assert Deal.objects.count() == 26


@pytest.mark.parametrize(
    "field",
    [
        {"column": "Deal", "default": "a\u0000b"},
        {"column": "Deal\u0000"},
        {"column": "Deal", "values": {"x": "y\u0000"}},
    ],
)
def test_a_mapping_file_with_a_nul_character_is_refused(files, field):
    mapping, good, _bad = files
    spec = json.loads(mapping.read_text())
    spec["fields"]["title"] = field
    mapping.write_text(json.dumps(spec))
    with pytest.raises(CommandError, match="“title” contains a NUL character"):
        call_command("import_data", "deals", str(good), "--mapping", str(mapping))
    assert Deal.objects.count() == 0
