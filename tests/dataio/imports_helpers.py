"""Shared by the import tests: the hand-made files, their mappings, and restyling them."""

import csv
import datetime
import io
from pathlib import Path

from dataio.imports import Mapping

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"

DEALS_MAPPING = {
    "kind": "deals",
    "date_formats": ["%Y-%m-%d"],
    "booleans": "1/empty",
    "fields": {
        "external_id": "Ref",
        "title": "Deal",
        "customer": {"column": "Company", "match": "name", "missing": "create"},
        "owner": {"column": "Rep", "match": "username"},
        "amount": "Value",
        "stage": {
            "column": "Stage",
            "values": {"Won": "buy", "Lost": "lost", "Proposal": "choose", "Qualified": "understand"},
        },
        "is_won": "Won",
        "opened_on": "Opened",
        "closed_on": "Closed",
        "expected_close": "Expected close",
        "lost_reason": {"column": "Lost because", "default": "No reason given"},
        "product": {"column": "Product", "match": "name", "missing": "create"},
    },
}

DATE_STYLES = {"%Y-%m-%d": "ISO", "%d/%m/%Y": "day first", "%m/%d/%Y": "month first", "%d.%m.%Y": "dotted"}
BOOLEAN_STYLES = {"1/empty": ("1", ""), "true/false": ("TRUE", "FALSE"), "yes/no": ("yes", "no")}
DATE_COLUMNS = ("Opened", "Closed", "Expected close")


def deals_text() -> str:
    return (FIXTURES / "deals.csv").read_text(encoding="utf-8")


def deals_rows() -> list[dict]:
    return list(csv.DictReader(io.StringIO(deals_text())))


def deals_mapping(**changes) -> Mapping:
    data = {**DEALS_MAPPING, **changes}
    return Mapping.from_dict(data)


def restyle(text: str, *, date_format: str = "%Y-%m-%d", booleans: str = "1/empty") -> str:
    """The same file with its dates and the Won column written in another style."""
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    yes, no = BOOLEAN_STYLES[booleans]
    for row in rows:
        for column in DATE_COLUMNS:
            if row[column]:
                row[column] = datetime.date.fromisoformat(row[column]).strftime(date_format)
        row["Won"] = yes if row["Won"] == "1" else no
        writer.writerow(row)
    return out.getvalue()
