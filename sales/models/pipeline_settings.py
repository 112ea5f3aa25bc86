from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from history.models import Tracked


class PipelineSettingsQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PipelineSettingsQuerySet":
        # How the pipeline is weighed is the same for everyone who can sign in; admins edit it.
        return self if user.is_authenticated else self.none()


class PipelineSettings(Tracked):
    """How stage probabilities are learned from closed deals, and whether the pipeline uses them.

    A single row (pk 1); admins edit it in Django admin. Without it, the defaults apply.
    """

    window_months = models.PositiveSmallIntegerField(
        _("window (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Learn from the deals closed in this many months up to today."),
    )
    minimum_deals = models.PositiveIntegerField(
        _("minimum closed deals"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("A stage reached by fewer closed deals in the window shows “not enough data”."),
    )
    use_learned_probabilities = models.BooleanField(
        _("weigh the pipeline with learned probabilities"),
        default=False,
        help_text=_(
            "The weighted pipeline and forecast use each stage's learned probability where there is "
            "enough data (a deal's own probability set by hand still wins)."
        ),
    )

    objects = PipelineSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("pipeline settings")
        verbose_name_plural = _("pipeline settings")

    def __str__(self) -> str:
        return str(_("Pipeline settings"))
