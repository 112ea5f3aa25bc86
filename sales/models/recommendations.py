"""The stored co-purchase model behind "Suggested next", rebuilt whole by ``rebuild_recommendations``.

Small on purpose: per product its nearest products, per customer segment its best sellers, and per
customer the one strongest suggestion (for My day). Pages read the rows they need in one query.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from people.visibility import owner_filter


class RecommendationRowQuerySet(models.QuerySet):
    def visible_to(self, user) -> "RecommendationRowQuerySet":
        # Products and aggregate counts only, like the catalogue: shared by everyone who signs in.
        return self if user.is_authenticated else self.none()


class RecommendationRow(models.Model):
    """Ranked products for one product ("bought with") or one segment of customers ("popular with").

    ``entries`` is ``[[product id, score, count], ...]``, best first; the count is of customers who
    bought both products (or, for a segment, of the segment's customers who bought the product).
    """

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Bought with a product")
        INDUSTRY_REGION = "industry_region", _("Industry and region")
        INDUSTRY = "industry", _("Industry")
        REGION = "region", _("Region")
        CHANNEL = "channel", _("Channel")
        OVERALL = "overall", _("Everyone")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # A product's id, a segment's value ("Retail", or "Retail|North" for industry and region), or "".
    key = models.CharField(_("key"), max_length=210, blank=True)
    entries = models.JSONField(_("entries"), default=list)
    size = models.PositiveIntegerField(_("customers"), default=0)
    built_at = models.DateTimeField(_("built at"))

    objects = RecommendationRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("recommendation row")
        verbose_name_plural = _("recommendation rows")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="recommendation_row_kind_key")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class CustomerSuggestionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CustomerSuggestionQuerySet":
        return self.filter(owner_filter(user, "customer__owner"))


class CustomerSuggestion(models.Model):
    """A customer's strongest "bought with" suggestion at the last rebuild."""

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="strongest_suggestion",
        verbose_name=_("customer"),
    )
    product = models.ForeignKey(
        "sales.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    anchor = models.ForeignKey(
        "sales.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("bought with")
    )
    together = models.PositiveIntegerField(_("customers who bought both"), default=0)
    score = models.FloatField(_("score"))
    built_at = models.DateTimeField(_("built at"))

    objects = CustomerSuggestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer suggestion")
        verbose_name_plural = _("customer suggestions")
        indexes = [models.Index(fields=["-score"], name="customer_suggestion_score")]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.product_id}"
