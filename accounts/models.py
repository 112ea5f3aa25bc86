from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from history.ledger import AppendOnly


class SignInThrottleQuerySet(models.QuerySet):
    def locked(self, now: datetime, window: timedelta) -> "SignInThrottleQuerySet":
        return self.filter(locked_at__gt=now - window)

    def expired(self, now: datetime, window: timedelta) -> "SignInThrottleQuerySet":
        """Rows that no longer hold anything back: their window and any lockout have run out."""
        stale = now - window
        return self.filter(window_started__lte=stale).filter(
            Q(locked_at__isnull=True) | Q(locked_at__lte=stale)
        )


class SignInThrottle(models.Model):
    """Sign-in attempts that failed (or are being checked) for one account name or one client address.

    An attempt is counted here before its password is checked, so parallel guesses cannot all slip
    in under the limit; a successful sign-in gives its count back (see ``accounts.throttle``).
    """

    class Scope(models.TextChoices):
        ACCOUNT = "account", _("Account")
        ADDRESS = "address", _("Client address")
        # Password-reset emails asked for, counted apart from sign-ins.
        RESET_ACCOUNT = "reset-acct", _("Password resets: email address")
        RESET_ADDRESS = "reset-addr", _("Password resets: client address")

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    key = models.CharField(_("account or address"), max_length=150)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    window_started = models.DateTimeField(_("counting since"))
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)

    objects = SignInThrottleQuerySet.as_manager()

    class Meta:
        verbose_name = _("failed sign-ins")
        verbose_name_plural = _("failed sign-ins")
        ordering = ["-window_started"]
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="signinthrottle_scope_key")]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.key}"

    def locked_until(self, window: timedelta) -> datetime | None:
        return self.locked_at + window if self.locked_at else None


class SessionCutoff(models.Model):
    """Sessions of this user that began before ``at`` are over ("sign out everywhere", deactivation)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="session_cutoff"
    )
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("session cutoff")

    def __str__(self) -> str:
        return f"{self.user} before {self.at:%Y-%m-%d %H:%M}"


class AuditEventQuerySet(models.QuerySet):
    """The log is append-only: no bulk rewrite or delete through the ORM either."""

    def visible_to(self, user) -> "AuditEventQuerySet":
        # Who signed in from where and who exported what is for administrators only.
        if not (user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser)):
            return self.none()
        return self

    def update(self, **kwargs):
        raise AuditLogError(AuditEvent.edit_refused)

    def delete(self):
        raise AuditLogError(AuditEvent.delete_refused)

    def redact(self, detail: dict) -> int:
        """Replace the details of these events (privacy erasure only: the event itself stays)."""
        return models.QuerySet.update(self, detail=detail)


class AuditLogError(Exception):
    """A write to the audit log that it refuses: rows are only ever added."""


class AuditEvent(AppendOnly, models.Model):
    """Something security-relevant that happened: who did it, from where, to what. Rows are only added."""

    # A log that can be rewritten proves nothing.
    refusal = AuditLogError
    edit_refused = _("Audit events cannot be edited.")
    delete_refused = _("Audit events cannot be deleted.")

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        SIGN_IN_REFUSED = "sign_in_refused", _("Sign-in refused (locked)")
        LOCKED_OUT = "locked_out", _("Locked out")
        UNLOCKED = "unlocked", _("Lockout lifted")
        SIGNED_OUT_EVERYWHERE = "signed_out_everywhere", _("Signed out everywhere")
        DEACTIVATED = "deactivated", _("Account deactivated")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
        PASSWORD_RESET_REFUSED = "password_reset_refused", _("Password reset refused (too many)")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token ended")
        EXPORTED = "exported", _("Exported")
        IMPORTED = "imported", _("Imported")
        PRIVACY_EXPORTED = "privacy_exported", _("Personal data exported")
        PRIVACY_ERASED = "privacy_erased", _("Personal data erased")
        ROLE_CHANGED = "role_changed", _("Role changed")
        DELETED = "deleted", _("Record deleted")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # The name as given (a failed sign-in may name no account), kept when the user is deleted.
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["target_type", "target_id"], name="auditevent_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.actor_name}"
