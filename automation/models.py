"""What the worker keeps: reminders sent, notifications, preferences, heartbeats, pipeline snapshots."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from people.visibility import is_admin, owner_filter


class ProfileQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProfileQuerySet":
        return self.filter(owner_filter(user, "user"))


class Profile(models.Model):
    """A user's language for emails and which automatic emails they want."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="crm_profile",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    daily_digest = models.BooleanField(
        _("daily digest"), default=True, help_text=_("A morning email of what is due and the deals at risk.")
    )
    weekly_digest = models.BooleanField(
        _("weekly team digest"),
        default=True,
        help_text=_(
            "For managers: a Monday email of the team's indicators, revenue against target and risks."
        ),
    )
    reminder_emails = models.BooleanField(
        _("reminder emails"), default=True, help_text=_("An email when an activity's reminder is due.")
    )

    objects = ProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def email_language(self) -> str:
        return self.language or settings.LANGUAGE_CODE


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "NotificationQuerySet":
        """A user's own notifications only: nobody reads anyone else's, admins included."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(user=user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    # Written in the recipient's language when it is made.
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # What made it (e.g. "reminder:<id>"): the same cause never makes a second notification.
    key = models.CharField(_("key"), max_length=100, unique=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text


class ReminderQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ReminderQuerySet":
        return self.filter(owner_filter(user, "activity__owner"))

    def claimable(self, now) -> "ReminderQuerySet":
        """Waiting, or claimed by a worker whose lease ran out before it marked the reminder sent,
        with tries left."""
        return self.filter(
            Q(state=Reminder.State.PENDING)
            | Q(
                state=Reminder.State.SENDING,
                lease_until__lt=now,
                attempts__lt=settings.CRM_REMINDER_MAX_ATTEMPTS,
            )
        )

    def spent(self, now) -> "ReminderQuerySet":
        """Claimed as many times as a reminder may be, and still not sent when the last lease ran out."""
        return self.filter(
            state=Reminder.State.SENDING,
            lease_until__lt=now,
            attempts__gte=settings.CRM_REMINDER_MAX_ATTEMPTS,
        )


class Reminder(models.Model):
    """One reminder of one activity at one time, and how far sending it got.

    A row is made when the reminder falls due; a worker claims it (``sending``, with its id and a
    lease), sends, and marks it ``sent``. Changing the activity's reminder time makes a new row.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent (done or no longer due)")
        FAILED = "failed", _("Not sent (the mail server refused it every time)")

    activity = models.ForeignKey(
        "sales.Activity", on_delete=models.CASCADE, related_name="reminders", verbose_name=_("activity")
    )
    remind_at = models.DateTimeField(_("remind at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["-remind_at", "-pk"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["activity", "remind_at"], name="reminder_activity_time"),
        ]
        indexes = [models.Index(fields=["state", "lease_until"])]

    def __str__(self) -> str:
        return f"{self.activity_id} @ {self.remind_at:%Y-%m-%d %H:%M}"

    @property
    def idempotency_key(self) -> str:
        return f"reminder-{self.pk}"


class AdminOnlyQuerySet(models.QuerySet):
    """The worker's own bookkeeping (heartbeats, daily runs): for admins only."""

    def visible_to(self, user) -> "AdminOnlyQuerySet":
        return self if user.is_authenticated and is_admin(user) else self.none()


class Heartbeat(models.Model):
    """The last time each worker process went round its loop."""

    worker = models.CharField(_("worker"), max_length=100, unique=True)
    beat_at = models.DateTimeField(_("last beat"))
    started_at = models.DateTimeField(_("started at"))

    objects = AdminOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-beat_at"]
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.worker


class DigestQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DigestQuerySet":
        return self.filter(owner_filter(user, "user"))


class Digest(models.Model):
    """A digest sent to a user on a day: the row is the claim, so no day gets two of a kind."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily digest")
        WEEKLY = "weekly", _("Weekly team digest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DAILY)
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent at"))

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "user"]
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "day"], name="digest_user_kind_day")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.day}"


class SnapshotQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SnapshotQuerySet":
        return self.filter(owner_filter(user))


class PipelineSnapshot(models.Model):
    """The open pipeline on a day, per owner × stage × expected-close month (first day; None: unset)."""

    day = models.DateField(_("day"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("owner")
    )
    stage = models.ForeignKey(
        "sales.Stage", on_delete=models.CASCADE, related_name="+", verbose_name=_("stage")
    )
    close_month = models.DateField(_("expected close month"), null=True, blank=True)
    deals = models.PositiveIntegerField(_("open deals"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    weighted = models.DecimalField(_("weighted amount"), max_digits=16, decimal_places=2)

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "owner", "stage"]
        verbose_name = _("pipeline snapshot")
        verbose_name_plural = _("pipeline snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "owner", "stage", "close_month"],
                name="snapshot_row",
            )
        ]
        indexes = [models.Index(fields=["day", "owner"])]

    def __str__(self) -> str:
        return f"{self.day} {self.owner_id} {self.stage_id}"


class DailyRun(models.Model):
    """A once-a-day job done for a day (e.g. the pipeline snapshot); the row makes it run once."""

    job = models.CharField(_("job"), max_length=50)
    day = models.DateField(_("day"))
    done_at = models.DateTimeField(_("done at"))

    objects = AdminOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "job"]
        verbose_name = _("daily job run")
        verbose_name_plural = _("daily job runs")
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="dailyrun_job_day")]

    def __str__(self) -> str:
        return f"{self.job} {self.day}"
