"""Change history made readable: labels instead of field names, names instead of ids."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from crm.formatting import format_day, format_moment, format_money
from history.models import ChangeLog


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One history row made readable."""

    when: datetime.datetime
    who: str
    action: str
    action_label: str
    changes: tuple[FieldChange, ...]


def person(user) -> str:
    # people.names.display_name's rule; history sits below people (teams are tracked) so cannot
    # import it. A test holds the two the same.
    return (user.get_full_name() or user.username) if user is not None else ""


def _ids(field: models.Field, value: str) -> list[str]:
    """The ids a stored value names: one for a foreign key, a list for a many-to-many field."""
    if not value:
        return []
    return value.split(",") if field.many_to_many else [value]


def _name(obj: models.Model) -> str:
    return person(obj) if isinstance(obj, get_user_model()) else str(obj)


def _names(model, ids: set[str], user, known: dict[str, str]) -> dict[str, str]:
    """``{id as text: display name}`` for ``ids`` of ``model``: the ``known`` ones as they are,
    the others in one query."""
    names = {i: known[i] for i in ids if i in known}
    pks = [int(i) for i in ids if i.isdigit() and i not in known]
    if not pks:
        return names
    User = get_user_model()
    if model is User:
        qs = User.objects.filter(pk__in=pks).only("pk", "first_name", "last_name", "username")
    else:
        qs = model._default_manager.filter(pk__in=pks)
        if user is not None and hasattr(qs, "visible_to"):
            # An old value may point at a record the viewer may not see: it then stays a bare id.
            qs = qs.visible_to(user)
    return {**names, **{str(o.pk): _name(o) for o in qs}}


def _known(objects: Iterable[models.Model | None]) -> dict[type, dict[str, str]]:
    known: dict[type, dict[str, str]] = {}
    for obj in objects:
        if obj is not None:
            known.setdefault(obj._meta.concrete_model, {})[str(obj.pk)] = _name(obj)
    return known


# Decimal fields that hold money, written as amounts; other decimals (probability, ratios) as numbers.
MONEY_FIELDS = {"amount", "need", "list_price", "revenue_quota"}


def _plain(field: models.Field | None, value: str) -> str:
    if value == "" or not isinstance(field, models.Field):
        return value
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return str(_("Yes") if value == "True" else _("No"))
    try:
        if isinstance(field, models.DateTimeField):
            return format_moment(datetime.datetime.fromisoformat(value))
        if isinstance(field, models.DateField):
            return format_day(datetime.date.fromisoformat(value))
    except ValueError:
        return value
    if isinstance(field, models.DecimalField):
        if field.name in MONEY_FIELDS:
            return format_money(value)
        try:
            return format(Decimal(value).normalize(), "f")
        except InvalidOperation:
            return value
    return value


def history_for(
    obj: models.Model, *, user=None, known: Iterable[models.Model | None] = ()
) -> list[HistoryEntry]:
    """The change history of ``obj``, newest first, ready to render.

    Runs one query for the rows (with who made them) and one per related model named in them,
    whatever the number of rows; none for the records in ``known``, those the page shows anyway
    (a deal's customer, its stages), which cost no query and whose names the viewer already sees.
    With ``user``, other related records they may not see stay as ids.
    """
    rows = list(ChangeLog.objects.for_object(obj).select_related("changed_by"))
    fields = {f.name: f for f in [*obj._meta.concrete_fields, *obj._meta.many_to_many]}
    wanted: dict[type, set[str]] = {}
    for row in rows:
        for name, pair in row.changes.items():
            field = fields.get(name)
            if field is not None and field.is_relation:
                for value in pair:
                    wanted.setdefault(field.related_model, set()).update(_ids(field, value))
    in_memory = _known(known)
    names = {model: _names(model, ids, user, in_memory.get(model, {})) for model, ids in wanted.items()}

    def shown(field, value: str) -> str:
        if field is not None and field.is_relation and value:
            known = names[field.related_model]
            return ", ".join(known.get(i, f"#{i}") for i in _ids(field, value))
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
                who=person(row.changed_by),
                action=row.action,
                action_label=str(row.get_action_display()),
                changes=tuple(changes),
            )
        )
    return entries
