"""Change history kept by the model layer: who changed which fields of a row, when, from what to what.

Our own rather than django-simple-history, for three reasons. The deal verbs write with versioned,
conditional ``update()`` calls (``Deal._write``) that no save signal sees; they record their change
here themselves, in the same transaction. The history kept before this app (field-level differences
in one table) carries over row for row, where simple-history keeps a full copy of the row per
change in one table per model. And one table with one index answers "what happened to this
record" for every model, which is all the pages and the admin ask.

A tracked model inherits ``Tracked``: it remembers the values it was read with and, on ``save()``
and ``delete()``, writes one ``ChangeLog`` row with the fields that differ. Who made the change
comes from ``history.actor``. Bulk writes (imports) record theirs in bulk with the functions below.
Recording history is infrastructure, like the database's own log, not a business rule; that is why
it lives in ``save()``, which the house style otherwise keeps free of rules.
"""

from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from history import values
from history.actor import current_actor

BATCH = 2000


def tracked_models() -> list[type[models.Model]]:
    """The models that keep a change history: inheriting ``Tracked`` is how a model signs up."""
    return [m for m in apps.get_models() if issubclass(m, Tracked)]


class ChangeLogQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ChangeLogQuerySet":
        """History of the rows the user may see, whatever their model (each model says who sees it).

        The history of a deleted row is left to the admin's change-history list.
        """
        if not user.is_authenticated:
            return self.none()
        types = ContentType.objects.get_for_models(*tracked_models())
        seen = models.Q(pk__in=[])
        for model, content_type in types.items():
            rows = model._default_manager.visible_to(user).values("pk")
            seen |= models.Q(content_type=content_type, object_id__in=rows)
        return self.filter(seen)

    def for_object(self, obj) -> "ChangeLogQuerySet":
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


class ChangeLog(models.Model):
    """Who changed which fields of a record, when, from what to what."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        DELETED = "deleted", _("Deleted")

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
        indexes = [
            models.Index(fields=["content_type", "object_id", "changed_at"], name="changelog_target_idx")
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_id} {self.action}"


def _row(obj: models.Model, action: str, changes: values.Changes, by_id: int | None, pk=None) -> ChangeLog:
    return ChangeLog(
        content_type_id=ContentType.objects.get_for_model(obj).pk,
        object_id=obj.pk if pk is None else pk,
        action=action,
        changed_by_id=by_id,
        changes=changes,
    )


def _actor_id() -> int | None:
    user = current_actor()
    return user.pk if user is not None else None


def record(obj: models.Model, action: str, changes: values.Changes) -> ChangeLog | None:
    """Write one history row for ``obj`` as changed by the current actor; nothing if nothing changed."""
    if not changes:
        return None
    row = _row(obj, action, changes, _actor_id())
    row.save(force_insert=True)
    return row


def record_update(obj: "Tracked", new: dict[str, object]) -> ChangeLog | None:
    """Record the fields a queryset ``update()`` is writing over ``obj``: ``{field name: new value}``.

    For writers that bypass ``save()`` (the deal verbs' versioned updates); call it in the update's
    transaction, before putting the new values on ``obj``.
    """
    changes, written = {}, {}
    for name, value in new.items():
        field = obj._meta.get_field(name)
        if field not in values.tracked_fields(type(obj)):
            continue
        if field.is_relation and isinstance(value, models.Model):
            value = value.pk
        written[field.attname] = value
        old, text = values.as_text(field, getattr(obj, field.attname)), values.as_text(field, value)
        if old != text:
            changes[field.name] = [old, text]
    row = record(obj, ChangeLog.Action.UPDATED, changes)
    obj._history_before = {**obj._history_before, **written}
    return row


def record_created_in_bulk(objects: Iterable[models.Model]) -> None:
    """A "created" row for each of ``objects``, saved by ``bulk_create`` (which calls no ``save()``)."""
    by_id = _actor_id()
    ChangeLog.objects.bulk_create(
        [_row(obj, ChangeLog.Action.CREATED, values.created(obj), by_id) for obj in objects],
        batch_size=BATCH,
    )


def record_changed_in_bulk(objects: Iterable["Tracked"], names: Iterable[str]) -> None:
    """An "updated" row for each of ``objects`` whose ``names`` fields differ from how it was read;
    for rows written by ``bulk_update``. Call it after the write."""
    by_id = _actor_id()
    names = set(names)
    rows = []
    for obj in objects:
        changes = values.changed(obj, obj._history_before, names)
        if changes:
            rows.append(_row(obj, ChangeLog.Action.UPDATED, changes, by_id))
        obj._history_before = {**obj._history_before, **values.loaded(obj)}
    ChangeLog.objects.bulk_create(rows, batch_size=BATCH)


def record_deleted_in_bulk(objects: Iterable[models.Model]) -> None:
    """A "deleted" row for each of ``objects``, about to be deleted by a queryset's ``delete()``."""
    by_id = _actor_id()
    ChangeLog.objects.bulk_create(
        [_row(obj, ChangeLog.Action.DELETED, values.deleted(obj), by_id) for obj in objects],
        batch_size=BATCH,
    )


class Tracked(models.Model):
    """Base of the models whose changes are kept: one history row per ``save()`` or ``delete()``."""

    class Meta:
        abstract = True

    # The tracked values as last read from or written to the database, by attribute name.
    _history_before: dict[str, object] = {}

    def save(self, *args, **kwargs) -> None:
        # Infrastructure, not a business rule: whoever saves, the row and its history row are
        # written together.
        adding = self._state.adding
        update_fields = kwargs.get("update_fields")
        names = set(update_fields) if update_fields is not None and not adding else None
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            if not adding:
                self._read_unknown_before(using, names)
            super().save(*args, **kwargs)
            if adding:
                record(self, ChangeLog.Action.CREATED, values.created(self))
            else:
                record(self, ChangeLog.Action.UPDATED, values.changed(self, self._history_before, names))
        self._history_before = {**self._history_before, **values.loaded(self, names)}

    def delete(self, *args, **kwargs):
        pk = self.pk
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        # A savepoint: a refused delete (a customer that still has deals) leaves the caller's
        # transaction usable, as Django's own delete() does.
        with transaction.atomic(using=using):
            result = super().delete(*args, **kwargs)
            row = _row(self, ChangeLog.Action.DELETED, values.deleted(self), _actor_id(), pk=pk)
            row.save(force_insert=True)
        return result

    def _read_unknown_before(self, using: str, names: set[str] | None) -> None:
        """Read the stored value of fields set without having been read (deferred when the row was
        loaded), so their change is recorded too. Rare: one query when it happens."""
        unknown = [attname for attname in values.loaded(self, names) if attname not in self._history_before]
        if unknown:
            stored = type(self)._base_manager.using(using).filter(pk=self.pk).values(*unknown).first()
            self._history_before = {**self._history_before, **(stored or {})}

    @classmethod
    def from_db(cls, db, field_names, values_read):
        obj = super().from_db(db, field_names, values_read)
        # Kept as read (no conversion to text yet): most rows read are never saved.
        obj._history_before = dict(zip(field_names, values_read, strict=True))
        return obj

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        # What was just read is the new starting point; else the next save would claim as its own
        # the changes someone else made meanwhile.
        names = set(fields) if fields is not None else None
        self._history_before = {**self._history_before, **values.loaded(self, names)}
