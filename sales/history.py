"""Change history for customers and deals: take a snapshot before an edit, record the difference."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from sales.models.history import ChangeLog

_SKIPPED = {"id", "version", "created_at", "updated_at", "original_expected_close"}


def _tracked_fields(obj: models.Model) -> list[models.Field]:
    return [f for f in obj._meta.concrete_fields if f.name not in _SKIPPED]


def _as_text(value) -> str:
    return "" if value is None else str(value)


def snapshot(obj: models.Model) -> dict[str, str]:
    """The tracked fields of ``obj`` as text (foreign keys by their id, to avoid queries)."""
    return {f.name: _as_text(getattr(obj, f.attname)) for f in _tracked_fields(obj)}


def record_changes(obj: models.Model, before: dict[str, str] | None, *, by) -> ChangeLog | None:
    """Write one history row with the fields that differ from ``before`` (``None``: just created)."""
    after = snapshot(obj)
    if before is None:
        action = ChangeLog.Action.CREATED
        changes = {name: ["", value] for name, value in after.items() if value != ""}
    else:
        action = ChangeLog.Action.UPDATED
        changes = {
            name: [before.get(name, ""), value]
            for name, value in after.items()
            if before.get(name, "") != value
        }
        if not changes:
            return None
    return ChangeLog.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        action=action,
        changed_by=by if by is not None and by.is_authenticated else None,
        changes=changes,
    )
