"""Exports of more rows than CRM_EXPORT_BACKGROUND_ROWS are written by the worker, then downloaded."""

import csv
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from dataio.models import ExportJob
from tests.factories import DealFactory


@pytest.fixture(autouse=True)
def _small_threshold(settings):
    settings.CRM_EXPORT_BACKGROUND_ROWS = 3
    settings.CRM_DIGEST_HOUR = 24


@pytest.fixture
def deals(rep, other_rep):
    made = [DealFactory(owner=rep, customer__owner=rep, title=f"Mine {n}") for n in range(5)]
    DealFactory(owner=rep, customer__owner=rep, title="Filtered out")
    DealFactory(owner=other_rep, customer__owner=other_rep, title="Theirs")
    return made


@pytest.mark.django_db
def test_a_long_list_is_written_by_the_worker_with_the_users_filters(rep_client, rep, deals):
    response = rep_client.get(reverse("dataio:deal_export"), {"q": "Mine", "format": "csv"})

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("dataio:export_job", args=[job.pk])
    assert (job.user, job.kind, job.rows_total, job.state) == (rep, "deals", 5, "queued")
    page = rep_client.get(response.url).content.decode()
    assert "Waiting for the worker" in page and 'hx-trigger="every 1s"' in page
    assert rep_client.get(reverse("dataio:export_download", args=[job.pk])).status_code == 404  # not yet

    call_command("worker", "--once")

    job.refresh_from_db()
    assert job.state == "done" and job.percent == 100
    fragment = rep_client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and reverse("dataio:export_download", args=[job.pk]) in fragment
    download = rep_client.get(reverse("dataio:export_download", args=[job.pk]))
    assert download.status_code == 200 and job.filename in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    # The rep's filter left "Filtered out" out, and their visibility "Theirs".
    assert sorted(r[1] for r in rows[1:]) == [f"Mine {n}" for n in range(5)]


@pytest.mark.django_db
def test_an_xlsx_export_in_the_background(rep_client, deals):
    rep_client.get(reverse("dataio:deal_export"), {"format": "xlsx"})
    call_command("worker", "--once")
    job = ExportJob.objects.get()
    download = rep_client.get(reverse("dataio:export_download", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    assert sheet.max_row == 7 and job.filename.endswith(".xlsx")  # a header and the rep's six deals


@pytest.mark.django_db
def test_a_short_list_is_still_sent_at_once(rep_client, rep, deals, settings):
    settings.CRM_EXPORT_BACKGROUND_ROWS = 6
    response = rep_client.get(reverse("dataio:deal_export"))
    assert response.status_code == 200 and not ExportJob.objects.exists()


@pytest.mark.django_db
def test_another_users_export_is_404(other_rep_client, rep):
    job = ExportJob.objects.create(user=rep, kind="deals", format="csv", state="done", filename="d.csv")
    assert other_rep_client.get(reverse("dataio:export_job", args=[job.pk])).status_code == 404
    assert other_rep_client.get(reverse("dataio:export_download", args=[job.pk])).status_code == 404
