"""Rollups: the dashboard's period figures kept as sums per day and per month.

One row holds what the deals, stage changes, sales records or activities of one owner, product,
region and channel added to one figure (``kind``) on one day, or in one month. The rows are kept up
to date in the same transaction as the write that changes them (``sales.rollups``), and can be
rebuilt from the raw tables at any time (``manage.py rebuild_rollups``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from people.visibility import owner_filter


class RollupQuerySet(models.QuerySet):
    def visible_to(self, user) -> "RollupQuerySet":
        return self.filter(owner_filter(user))


class Rollup(models.Model):
    class Grain(models.TextChoices):
        DAY = "d", _("day")
        MONTH = "m", _("month")
        # The same sums per owner alone (product 0, region and channel blank): what a view with no
        # product, category, region or channel filter reads, a few rows a month per rep.
        OWNER_DAY = "D", _("day, per owner")
        OWNER_MONTH = "M", _("month, per owner")

    class Kind(models.TextChoices):
        # Open deals by expected close, ``key`` = stage, ``tag`` = probability set by hand (o) and
        # expected close pushed back (s): n, amount, and amount × probability in ``micros``.
        OPEN = "open", _("open")
        # Deals, by the day they closed: n and amount; ``key`` is the lost reason of a lost deal.
        WON = "won", _("won")
        LOST = "lost", _("lost")
        # Won deals by the day they closed, ``key`` = days from opened to closed: a histogram.
        CYCLE = "cycle", _("sales cycle")
        # Deals by the day they were opened (their cohort), ``key`` = a stage: deals that reached
        # it, and the ended stays in it (n, and their total length in ``micros``).
        REACHED = "reached", _("reached stage")
        STAY = "stay", _("stay in stage")
        # Sales records by the day sold; reversing entries apart.
        SALE = "sale", _("sale")
        REVERSAL = "reversal", _("reversal")
        # Activities by the local day due and the local day done; ``tag`` is the activity type.
        PLANNED = "planned", _("activity due")
        DONE = "done", _("activity done")

    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()  # the first of the month for a month row
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.BigIntegerField(default=0)
    tag = models.CharField(max_length=20, default="", blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    product_id = models.BigIntegerField(default=0)  # 0: no product
    region = models.CharField(max_length=100, default="", blank=True)
    channel = models.CharField(max_length=100, default="", blank=True)
    n = models.BigIntegerField(default=0)
    cents = models.BigIntegerField(default=0)
    micros = models.BigIntegerField(default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("rollup")
        verbose_name_plural = _("rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "day", "kind", "key", "tag", "owner", "product_id", "region", "channel"],
                name="rollup_cell",
            )
        ]
        indexes = [models.Index(fields=["grain", "kind", "day", "owner"], name="rollup_period")]

    def __str__(self) -> str:
        return f"{self.kind} {self.grain} {self.day} owner={self.owner_id}: {self.n}"
