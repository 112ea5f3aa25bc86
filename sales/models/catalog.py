from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from history.models import Tracked


class StageQuerySet(models.QuerySet):
    def visible_to(self, user) -> "StageQuerySet":
        # The sales process is the same for everyone who can sign in.
        return self if user.is_authenticated else self.none()

    def open(self) -> "StageQuerySet":
        return self.filter(kind=Stage.Kind.OPEN)

    def won(self) -> "StageQuerySet":
        """The stages that win a deal, in process order; winning goes to the first."""
        return self.filter(kind=Stage.Kind.WON).order_by("order")


def shown_name(name: str, local_name: str) -> str:
    """A name in the reader's language: its Chinese name for Chinese readers (when it has one)."""
    if local_name and (get_language() or "").startswith("zh"):
        return local_name
    return name


class LocalName:
    """A name kept in English and in Chinese (``name``, ``local_name``), shown in the reader's language."""

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return shown_name(self.name, self.local_name)


class Stage(LocalName, Tracked):
    """A step of the sales process; the six defaults are seeded by a migration."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open pipeline")
        WON = "won", _("Won")
        AFTER_SALE = "after_sale", _("After the sale")

    key = models.SlugField(_("key"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    local_name = models.CharField(_("Chinese name"), max_length=60, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OPEN)
    default_probability = models.DecimalField(
        _("default probability (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    objects = StageQuerySet.as_manager()

    class Meta:
        ordering = ["order"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    @property
    def is_open(self) -> bool:
        return self.kind == self.Kind.OPEN


class ProductQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProductQuerySet":
        # The catalogue is shared by everyone who can sign in.
        return self if user.is_authenticated else self.none()

    def active(self) -> "ProductQuerySet":
        return self.filter(active=True)


class Product(Tracked):
    name = models.CharField(_("name"), max_length=200, unique=True)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    series = models.CharField(_("series"), max_length=100, blank=True)
    list_price = models.DecimalField(
        _("list price"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    active = models.BooleanField(_("active"), default=True)
    # The product's id in the catalogue it was imported from; a re-import updates it by this id.
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True, unique=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class LostReasonQuerySet(models.QuerySet):
    def visible_to(self, user) -> "LostReasonQuerySet":
        # The list of reasons is shared by everyone who can sign in, like the stages.
        return self if user.is_authenticated else self.none()

    def active(self) -> "LostReasonQuerySet":
        return self.filter(active=True)

    def fallback(self) -> "LostReason | None":
        """Where a reason the list does not know goes, with its text as the note: "Other"."""
        return self.active().filter(needs_note=True).order_by("order", "pk").first()

    def for_text(self, text: str) -> tuple["LostReason | None", str]:
        """The reason a text names (its name or Chinese name, in any case) with no note, else
        "Other" with the text as its note."""
        text = " ".join((text or "").split())
        if not text:
            return None, ""
        named = self.filter(models.Q(name__iexact=text) | models.Q(local_name__iexact=text)).first()
        if named is not None:
            return named, text if named.needs_note else ""
        return self.fallback(), text


class LostReason(LocalName, Tracked):
    """Why a deal was lost, from the list admins keep; the defaults are seeded by a migration."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    local_name = models.CharField(_("Chinese name"), max_length=100, blank=True)
    needs_note = models.BooleanField(
        _("needs a note"),
        default=False,
        help_text=_("Losing a deal for this reason asks for a note that says more, as “Other” does."),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Only active reasons are offered; deals lost for an inactive one keep it."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = LostReasonQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
