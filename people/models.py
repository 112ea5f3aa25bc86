"""Teams: a primary manager, any co-managers, and the reps whose records they see."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from history.models import Tracked
from people.visibility import is_admin


class TeamQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TeamQuerySet":
        if not user.is_authenticated:
            return self.none()
        if is_admin(user):
            return self
        return self.filter(Q(manager=user) | Q(managers=user) | Q(members=user)).distinct()

    def managed_by(self, user) -> "TeamQuerySet":
        """The teams ``user`` manages: as the primary manager or as one of its co-managers."""
        return self.filter(Q(manager=user) | Q(managers=user)).distinct()


class Team(Tracked):
    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="managed_teams",
        verbose_name=_("manager"),
        help_text=_("The primary manager; co-managers see and plan for the team alike."),
    )
    # Every manager of the team. The primary manager is usually among them too, but the rule in
    # ``people.visibility`` reads both, so a team whose primary manager was never added loses nothing.
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="co_managed_teams", blank=True, verbose_name=_("managers")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="sales_teams", blank=True, verbose_name=_("members")
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name

    def is_managed_by(self, user) -> bool:
        return self.manager_id == user.pk or self.managers.filter(pk=user.pk).exists()
