import datetime

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from people.visibility import owner_filter


class JobQuerySet(models.QuerySet):
    def visible_to(self, user) -> "JobQuerySet":
        return self.filter(owner_filter(user, "user"))

    def claimable(self, now) -> "JobQuerySet":
        """Queued, or running in a worker whose lease ran out (it died: its work rolled back)."""
        State = self.model.State
        return self.filter(Q(state=State.QUEUED) | Q(state=State.RUNNING, lease_until__lt=now))

    def claim(self, now, worker: str, lease: datetime.timedelta):
        """Take the oldest claimable job for ``worker`` until ``now + lease``, once across workers
        (SKIP LOCKED); its pk, or None when there is nothing to do."""
        with transaction.atomic():
            pk = (
                self.claimable(now)
                .order_by("created_at", "pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)
                .first()
            )
            if pk is not None:
                self.filter(pk=pk).update(
                    state=self.model.State.RUNNING, worker=worker, lease_until=now + lease, rows_done=0
                )
        return pk


class WorkerJob(models.Model):
    """What a job the worker runs for a user keeps: its claim (worker, lease) and its progress.

    Subclasses define ``State`` (queued, running, done, failed) and the ``state`` field.
    """

    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class ImportJob(WorkerJob):
    """A browser import of a large file, run by the worker; the page polls its progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Not imported")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("imported by")
    )
    kind = models.CharField(_("kind"), max_length=20)
    filename = models.CharField(_("file"), max_length=200)
    data = models.BinaryField(_("file contents"))
    mapping = models.JSONField(_("mapping"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    summary = models.TextField(_("summary"), blank=True)
    # The first problems, as [row, column, reason]: the import wrote nothing.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    # A check only (the preview of a large file): nothing is written; ``report`` keeps what the
    # preview page shows (counts, notes, optional columns missing).
    check_only = models.BooleanField(_("check only"), default=False)
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta(WorkerJob.Meta):
        verbose_name = _("background import")
        verbose_name_plural = _("background imports")
        indexes = [models.Index(fields=["state", "lease_until"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"


class ExportJob(WorkerJob):
    """A list export too large for one request, written by the worker and then offered for download.

    The worker reads the list with the requesting user's visibility and filters, as the page would.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    kind = models.CharField(_("list"), max_length=20)
    format = models.CharField(_("format"), max_length=4)
    query = models.TextField(_("filters"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    content = models.BinaryField(_("file contents"), blank=True, default=b"")

    class Meta(WorkerJob.Meta):
        verbose_name = _("background export")
        verbose_name_plural = _("background exports")
        indexes = [models.Index(fields=["state", "lease_until"])]

    def __str__(self) -> str:
        return f"{self.kind}.{self.format} ({self.get_state_display()})"
