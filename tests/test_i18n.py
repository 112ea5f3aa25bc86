"""The Simplified Chinese translation: served to zh-hans browsers, chosen in the nav, compiled in git."""

import ast
import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

PO_FILE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u4e00-\u9fff]")

# The nav and the page titles: a Chinese user must never meet these in English. A new page adds its
# title here; a new string elsewhere does not break the suite until someone translates it.
NAV_AND_TITLES = [
    "My day",
    "Pipeline",
    "Deals",
    "Customers",
    "Activities",
    "Sales",
    "Dashboard",
    "Import",
    "Admin",
    "Language",
    "Sign in",
    "Sign out",
    "Sign in to the CRM",
    "Skip to content",
    "Sales dashboard",
    "Sales records",
    "New deal",
    "Edit deal",
    "New customer",
    "Edit customer",
    "Edit contact",
    "New activity",
    "Edit activity",
    "Import data",
    "Map columns",
    "Preview import",
    "Not found",
    "Your account",
    "Change password",
    "Reset your password",
    "Check your email",
    "Choose a new password",
    "Sign out everywhere",
    "Plans",
    "My plans",
]

# The source document's own words for the five indicators (R, T, A, E, F).
SEED_TERMS = {
    "Average customer need": "客户需求平均值",
    "Sales target": "销售目标",
    "Activity plan": "销售活动计划",
    "Execution average": "销售执行平均值",
    "Effectiveness": "销售效果",
}


def _po_entries(path: Path) -> list[dict]:
    """msgid, msgid_plural and msgstr of each translated entry; enough of the PO format for our file."""
    entries, entry, key = [], {}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        match = re.match(r'^(msgid_plural|msgid|msgstr\[0\]|msgstr) (".*")$', line)
        if match:
            key = match.group(1)
            entry[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            entry[key] += ast.literal_eval(line)
        elif not line.strip():
            if entry.get("msgid"):
                entries.append(entry)
            entry, key = {}, None
    return entries


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield


def test_the_login_page_speaks_chinese_to_a_zh_hans_browser(client, db):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "登录 CRM" in html
    assert "Sign in to the CRM" not in html


def test_choosing_chinese_in_the_nav_turns_my_day_chinese(rep_client):
    response = rep_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    html = rep_client.get("/").content.decode()
    for label in ("今日工作", "销售管道", "商机", "客户", "仪表盘", "退出登录"):
        assert label in html
    assert "My day" not in html
    assert "Pipeline" not in html


def test_an_english_browser_still_gets_english(rep_client):
    html = rep_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My day" in html
    assert "今日工作" not in html


@pytest.mark.parametrize("msgid", NAV_AND_TITLES)
def test_the_compiled_catalogue_translates_the_nav_and_page_titles(zh, msgid):
    assert CJK.search(translation.gettext(msgid)), msgid


@pytest.mark.parametrize(("msgid", "chinese"), SEED_TERMS.items())
def test_the_indicators_use_the_source_documents_terms(zh, msgid, chinese):
    assert translation.gettext(msgid) == chinese


def test_counts_use_the_single_chinese_plural_form(zh):
    one = translation.ngettext("%(counter)s deal", "%(counter)s deals", 1) % {"counter": 1}
    many = translation.ngettext("%(counter)s deal", "%(counter)s deals", 7) % {"counter": 7}
    assert (one, many) == ("1 个商机", "7 个商机")


def test_the_compiled_catalogue_matches_the_po_file(zh):
    # A translation edited in the .po but not compiled would never reach a user: the .mo is in git.
    stale = []
    for entry in _po_entries(PO_FILE):
        if "msgid_plural" in entry:
            wanted = entry.get("msgstr[0]", "")
            served = translation.ngettext(entry["msgid"], entry["msgid_plural"], 1)
        else:
            wanted = entry.get("msgstr", "")
            served = translation.gettext(entry["msgid"])
        if wanted and served != wanted:
            stale.append(entry["msgid"])
    assert not stale, f"run compilemessages; stale: {stale[:5]}"


def test_stage_names_follow_the_language(db):
    from django.utils import translation

    from sales.models import Stage

    lead = Stage.objects.get(key="lead")
    with translation.override("zh-hans"):
        assert str(lead) == "领入"
    with translation.override("en"):
        assert str(lead) == "Lead"


def test_amounts_keep_thousand_separators_in_chinese():
    from decimal import Decimal

    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils import translation

    with translation.override("zh-hans"):
        assert intcomma(Decimal("1028500")) == "1,028,500"


def test_the_dashboard_risk_table_names_stages_in_chinese(manager_client, rep):
    from django.utils import timezone

    from tests.factories import CustomerFactory, DealFactory

    overdue = timezone.localdate() - datetime.timedelta(days=30)
    DealFactory(owner=rep, customer=CustomerFactory(owner=rep), expected_close=overdue, title="Late one")
    html = manager_client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    risk_table = html[html.index("Late one") :]
    row = risk_table[: risk_table.index("</tr>")]
    assert "领入" in row
    assert ">Lead<" not in row


# Read the same in Chinese: abbreviations, and the sales export's file name as the catalogue keeps it.
SAME_IN_CHINESE = {"ID", "CRM", "sales-records"}
# Folders with the project's own strings (what ``makemessages`` reads for the catalogue).
SOURCE_DIRS = [
    "accounts",
    "automation",
    "crm",
    "customers",
    "dataio",
    "history",
    "people",
    "sales",
    "templates",
]


def _entries(po_text: str) -> list[tuple[str | None, str, str | None]]:
    """(msgctxt, msgid, msgid_plural) of each entry of a .po text, its header aside."""
    entries, key, parts = [], None, {}
    for line in [*po_text.splitlines(), ""]:
        if line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr")):
            key = line.split(" ", 1)[0]
            parts[key] = ast.literal_eval(line.split(" ", 1)[1])
        elif line.startswith('"') and key:
            parts[key] += ast.literal_eval(line)
        elif not line.strip():
            if parts.get("msgid"):
                entries.append((parts.get("msgctxt"), parts["msgid"], parts.get("msgid_plural")))
            key, parts = None, {}
    return entries


def test_every_string_of_the_project_has_a_chinese_translation(tmp_path):
    """``makemessages`` over a copy of the sources; every string it finds reads as Chinese, from
    our catalogue or from Django's and the libraries' own."""
    import shutil

    from django.core.management import call_command

    if shutil.which("xgettext") is None:
        pytest.skip("makemessages needs GNU gettext (apt-get install gettext)")

    root = Path(settings.BASE_DIR)
    for name in SOURCE_DIRS:
        shutil.copytree(
            root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "migrations")
        )
    (tmp_path / "locale").mkdir()
    cwd = Path.cwd()
    try:
        import os

        os.chdir(tmp_path)
        with translation.override("en"):
            call_command("makemessages", locale=["zh_Hans"], verbosity=0, no_obsolete=True)
    finally:
        os.chdir(cwd)
    found = _entries((tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text("utf-8"))
    assert len(found) > 500
    untranslated = []
    with translation.override("zh-hans"):
        for context, msgid, plural in found:
            if context and plural:
                text = translation.npgettext(context, msgid, plural, 1)
            elif context:
                text = translation.pgettext(context, msgid)
            else:
                text = translation.ngettext(msgid, plural, 1) if plural else translation.gettext(msgid)
            if text == msgid and msgid not in SAME_IN_CHINESE and re.search(r"[A-Za-z]{2}", msgid):
                untranslated.append(msgid)
    assert untranslated == [], f"{len(untranslated)} strings without a Chinese translation: {untranslated}"
