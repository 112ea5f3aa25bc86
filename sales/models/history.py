from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from sales.models.deals import Deal


class ChangeLogQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ChangeLogQuerySet":
        """History of the customers and deals the user may see."""
        if not user.is_authenticated:
            return self.none()
        types = ContentType.objects.get_for_models(Customer, Deal)
        return self.filter(
            models.Q(
                content_type=types[Customer], object_id__in=Customer.objects.visible_to(user).values("pk")
            )
            | models.Q(content_type=types[Deal], object_id__in=Deal.objects.visible_to(user).values("pk"))
        )

    def for_object(self, obj) -> "ChangeLogQuerySet":
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


class ChangeLog(models.Model):
    """Who changed which fields of a customer or deal, when, from what to what."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # {field name: [old value as text, new value as text]}
    changes = models.JSONField(_("changes"), default=dict)

    objects = ChangeLogQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("change")
        verbose_name_plural = _("change history")
        indexes = [models.Index(fields=["content_type", "object_id", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_id} {self.action}"
