"""A large import in a real browser: queued, run by a real worker process, the progress bar polled to
the end (acceptance 4); a bad row writes nothing and the page names it."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from customers.models import Customer
from dataio import jobs
from tests.browser.conftest import sign_in
from tests.dataio.test_imports_background import MAPPING, customers_csv
from tests.factories import ManagerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROWS = 3000


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker():
    started = []

    def start():
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "CRM_DIGEST_HOUR": "24",
            "CRM_WORKER_INTERVAL": "1",
        }
        process = subprocess.Popen(
            [sys.executable, "manage.py", "worker"], cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL
        )
        started.append(process)

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def watch_until_finished(page, timeout: float = 120) -> list[tuple[str, int]]:
    """The states and percentages the page showed, as htmx replaced the bar, until the import ended."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        card = page.locator("#import-job")
        state = card.get_attribute("data-state")
        percent = int(card.locator(".progress").get_attribute("aria-valuenow"))
        if not seen or seen[-1] != (state, percent):
            seen.append((state, percent))
        if state in ("done", "failed"):
            return seen
        page.wait_for_timeout(100)
    raise AssertionError(f"the import did not end: {seen}")


@pytest.fixture
def importer(settings):
    settings.CRM_IMPORT_BACKGROUND_ROWS = 100
    return ManagerFactory(username="importer")


def test_the_progress_bar_follows_a_large_import_to_the_end(
    live_server, page, importer, start_worker, tmp_path
):
    upload = tmp_path / "customers.csv"
    upload.write_text(customers_csv(ROWS), encoding="utf-8")
    sign_in(page, "importer")
    page.goto("/imports/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("input[name=file]", str(upload))
    page.click("form[enctype='multipart/form-data'] [type=submit]")
    page.click("button[name=preview]")

    # The preview of a large file: the worker checks it while the page shows the progress.
    page.wait_for_url("**/imports/preview/")
    assert f"checking the {ROWS} rows" in page.locator("main").inner_text()
    assert page.locator("#import-job").get_attribute("data-state") == "queued"
    assert page.locator("#import-job .progress").get_attribute("aria-valuenow") == "0"
    start_worker()
    # When the check is done the page shows its result, with the button that imports.
    commit = page.locator("form[action='/imports/commit/'] [type=submit]")
    commit.wait_for(timeout=120_000)
    assert f"{ROWS} rows: {ROWS} would be created" in page.locator(".alert-success").inner_text()
    assert Customer.objects.count() == 0
    commit.click()

    page.wait_for_url("**/imports/jobs/*/")
    seen = watch_until_finished(page)
    percents = [percent for _state, percent in seen]
    assert percents == sorted(percents), seen  # the bar only moves forward
    assert seen[-1] == ("done", 100), seen
    assert f"{ROWS} rows: {ROWS} were created" in page.locator("#import-job .alert-success").inner_text()
    assert Customer.objects.count() == ROWS


def test_a_bad_row_writes_nothing_and_the_page_names_it(live_server, page, importer, start_worker):
    data = customers_csv(ROWS, bad_row=2500).encode()
    job = jobs.enqueue(importer, filename="customers.csv", data=data, mapping=MAPPING, rows=ROWS)
    sign_in(page, "importer")
    page.goto(f"/imports/jobs/{job.pk}/")

    start_worker()
    assert watch_until_finished(page)[-1] == ("failed", 100)
    assert page.locator("#import-job .progress").get_attribute("aria-valuenow") == "100"
    assert "nothing was imported" in page.locator("#import-job .alert-danger").inner_text()
    assert page.locator("#import-job td.num").all_inner_texts() == ["2501"]
    assert Customer.objects.count() == 0
