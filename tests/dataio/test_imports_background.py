"""Imports above CRM_IMPORT_BACKGROUND_ROWS run in the worker, all or nothing, with their progress."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from dataio import jobs
from dataio.imports import Mapping, run_import
from dataio.models import ImportJob

MAPPING = {"kind": "customers", "fields": {"external_id": "Customer ID", "name": "Company", "need": "Budget"}}


def customers_csv(rows: int, bad_row: int | None = None) -> str:
    lines = ["Customer ID,Company,Budget"]
    for n in range(1, rows + 1):
        budget = "lots" if n == bad_row else str(1000 + n)
        lines.append(f"C-{n},Company {n},{budget}")
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _small_threshold(settings):
    settings.CRM_IMPORT_BACKGROUND_ROWS = 5
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CRM_DIGEST_HOUR = 24


def upload_and_preview(client, text: str):
    client.post(
        reverse("dataio:import_upload"),
        {
            "kind": "customers",
            "file": SimpleUploadedFile("customers.csv", text.encode(), content_type="text/csv"),
        },
    )
    form = client.get(reverse("dataio:import_map")).context["form"]
    data = {name: (form[name].value() or "") for name in form.fields}
    client.post(reverse("dataio:import_map"), {**data, "preview": "1"})
    return client.get(reverse("dataio:import_preview"))


@pytest.mark.django_db
def test_a_large_import_is_queued_and_the_worker_runs_it(manager_client, manager):
    manager.email = "manager@example.com"
    manager.save()
    preview = upload_and_preview(manager_client, customers_csv(12))
    check = preview.context["checking"]
    assert (check.check_only, check.state, check.rows_total) == (True, "queued", 12)
    call_command("worker", "--once")  # the check
    preview = manager_client.get(reverse("dataio:import_preview"))
    assert preview.context["report"].ok and preview.context["report"].created == 12
    assert "Import now" in preview.content.decode()
    assert Customer.objects.count() == 0

    response = manager_client.post(reverse("dataio:import_commit"))

    job = ImportJob.objects.get(check_only=False)
    assert response.status_code == 302 and response.url == reverse("dataio:import_job", args=[job.pk])
    assert (job.state, job.rows_total, job.user) == ("queued", 12, manager)
    assert Customer.objects.count() == 0
    page = manager_client.get(response.url)
    assert (
        "Waiting for the worker" in page.content.decode() and 'hx-trigger="every 1s"' in page.content.decode()
    )

    call_command("worker", "--once")

    job.refresh_from_db()
    assert job.state == "done" and job.percent == 100 and job.data == b""
    assert Customer.objects.count() == 12
    assert Customer.objects.get(name="Company 7").need == 1007
    fragment = manager_client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment  # the end is not polled
    assert "12 rows: 12 were created" in fragment
    (email,) = mail.outbox
    assert email.to == ["manager@example.com"] and email.subject == "Imported customers.csv"


@pytest.mark.django_db
def test_a_small_import_still_runs_in_the_request(manager_client):
    upload_and_preview(manager_client, customers_csv(5))
    response = manager_client.post(reverse("dataio:import_commit"))
    assert response.url == reverse("dataio:import_upload")
    assert Customer.objects.count() == 5 and not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_bad_row_writes_nothing_and_is_named(manager_client, manager):
    job = jobs.enqueue(
        manager, filename="c.csv", data=customers_csv(30, bad_row=17).encode(), mapping=MAPPING, rows=30
    )

    call_command("worker", "--once")

    job.refresh_from_db()
    assert job.state == "failed"
    assert Customer.objects.count() == 0
    assert [row for row, _column, _reason in job.problems] == [18]  # the header is row 1
    html = manager_client.get(reverse("dataio:import_job", args=[job.pk])).content.decode()
    assert "nothing was imported" in html and '<td class="num">18</td>' in html


@pytest.mark.django_db
def test_the_import_reports_its_progress_while_checking(manager):
    seen = []
    report = run_import(
        customers_csv(400).encode(), "c.csv", Mapping.from_dict(MAPPING), user=manager, progress=seen.append
    )
    assert report.committed
    assert seen == sorted(seen) and len(seen) == 100 and seen[0] == 0 and seen[-1] >= 396


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_run_again_once_its_lease_ran_out(manager, settings):
    job = jobs.enqueue(manager, filename="c.csv", data=customers_csv(10).encode(), mapping=MAPPING, rows=10)
    now = timezone.now()
    assert jobs.claim(now, "dead-worker").pk == job.pk  # then it died: nothing was written
    assert jobs.claim(now, "w2") is None
    later = now + datetime.timedelta(seconds=settings.CRM_IMPORT_LEASE_SECONDS + 1)
    call_command("worker", "--once", "--now", later.isoformat())
    job.refresh_from_db()
    assert job.state == "done" and Customer.objects.count() == 10


@pytest.mark.django_db
def test_another_users_job_is_404(client, manager, other_rep, other_team):
    job = jobs.enqueue(manager, filename="c.csv", data=b"", mapping=MAPPING, rows=10)
    client.force_login(other_rep)
    assert client.get(reverse("dataio:import_job", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_a_large_file_is_checked_by_the_worker_and_its_problems_shown_on_the_preview(manager_client):
    preview = upload_and_preview(manager_client, customers_csv(30, bad_row=17))
    html = preview.content.decode()
    assert "The worker is checking the 30 rows of this file" in html
    assert 'hx-trigger="every 1s"' in html and "Import now" not in html
    check = preview.context["checking"]
    # Looking again while it waits does not queue a second check.
    assert manager_client.get(reverse("dataio:import_preview")).context["checking"] == check

    call_command("worker", "--once")

    poll = manager_client.get(reverse("dataio:import_job", args=[check.pk]), headers={"HX-Request": "true"})
    assert poll.headers["HX-Redirect"] == reverse("dataio:import_preview")
    preview = manager_client.get(reverse("dataio:import_preview"))
    report = preview.context["report"]
    assert not report.ok and [p.row for p in report.problems] == [18]
    html = preview.content.decode()
    assert "nothing was imported" in html and '<td class="num">18</td>' in html and "Import now" not in html
    assert Customer.objects.count() == 0
    assert mail.outbox == []  # a check's result is on the page, not in an email
    assert ImportJob.objects.count() == 1


@pytest.mark.django_db
def test_a_new_mapping_is_checked_again(manager_client):
    upload_and_preview(manager_client, customers_csv(12))
    call_command("worker", "--once")
    form = manager_client.get(reverse("dataio:import_map")).context["form"]
    data = {name: (form[name].value() or "") for name in form.fields}
    manager_client.post(reverse("dataio:import_map"), {**data, "preview": "1"})

    preview = manager_client.get(reverse("dataio:import_preview"))

    assert preview.context["checking"].state == "queued"
    assert ImportJob.objects.filter(check_only=True).count() == 2


@pytest.mark.django_db
def test_a_checks_result_speaks_the_language_of_the_page_and_an_error_is_a_problem(manager_client):
    upload_and_preview(manager_client, customers_csv(12))
    call_command("worker", "--once")
    chinese = manager_client.get(reverse("dataio:import_preview"), headers={"accept-language": "zh-hans"})
    assert chinese.context["report"].summary() == "共 12 行：将新建 12 条，更新 0 条，0 条无变化。"

    check = ImportJob.objects.get()
    ImportJob.objects.filter(pk=check.pk).update(
        state="failed", summary="The import stopped on an error; nothing was imported.", report={}
    )
    report = manager_client.get(reverse("dataio:import_preview")).context["report"]
    assert not report.ok
    assert [str(p.reason) for p in report.problems] == [
        "The import stopped on an error; nothing was imported."
    ]
