from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
