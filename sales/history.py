"""Change history for customers and deals: take a snapshot before an edit, record the difference."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

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


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One history row made readable: labels instead of field names, names instead of ids."""

    when: datetime.datetime
    who: str
    action: str
    action_label: str
    changes: tuple[FieldChange, ...]


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _names(model, ids: set[str], user) -> dict[str, str]:
    """``{id as text: display name}`` for ``ids`` of ``model``, in one query."""
    pks = [int(i) for i in ids if i.isdigit()]
    if not pks:
        return {}
    User = get_user_model()
    if model is User:
        rows = User.objects.filter(pk__in=pks).only("pk", "first_name", "last_name", "username")
        return {str(u.pk): _person(u) for u in rows}
    qs = model._default_manager.filter(pk__in=pks)
    if user is not None and hasattr(qs, "visible_to"):
        # An old value may point at a record the viewer may not see: it then stays a bare id.
        qs = qs.visible_to(user)
    return {str(o.pk): str(o) for o in qs}


def _plain(field: models.Field, value: str) -> str:
    if value == "" or not isinstance(field, models.Field):
        return value
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return str(_("Yes") if value == "True" else _("No"))
    return value


def history_for(obj: models.Model, *, user=None) -> list[HistoryEntry]:
    """The change history of ``obj``, newest first, ready to render.

    Runs one query for the rows (with who made them) and one per related model named in them,
    whatever the number of rows. With ``user``, related records they may not see stay as ids.
    """
    rows = list(ChangeLog.objects.for_object(obj).select_related("changed_by"))
    fields = {f.name: f for f in obj._meta.concrete_fields}
    wanted: dict[type, set[str]] = {}
    for row in rows:
        for name, pair in row.changes.items():
            field = fields.get(name)
            if field is not None and field.is_relation:
                wanted.setdefault(field.related_model, set()).update(v for v in pair if v)
    names = {model: _names(model, ids, user) for model, ids in wanted.items()}

    def shown(field, value: str) -> str:
        if field is not None and field.is_relation and value:
            return names[field.related_model].get(value, f"#{value}")
        return _plain(field, value)

    # PostgreSQL's jsonb does not keep key order; show fields in the model's order instead.
    order = {name: i for i, name in enumerate(fields)}
    entries = []
    for row in rows:
        changes = []
        for name, pair in sorted(row.changes.items(), key=lambda item: order.get(item[0], len(order))):
            old, new = ([*pair, "", ""])[:2]
            field = fields.get(name)
            label = capfirst(field.verbose_name) if field is not None else name
            changes.append(FieldChange(name, str(label), shown(field, old), shown(field, new)))
        entries.append(
            HistoryEntry(
                when=row.changed_at,
                who=_person(row.changed_by),
                action=row.action,
                action_label=str(row.get_action_display()),
                changes=tuple(changes),
            )
        )
    return entries
