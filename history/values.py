"""A tracked row's fields as history keeps them: text, so that one JSON column fits every model.

Values are made comparable before they become text: amounts to their decimal places (a form's
``150`` is the database's ``150.00``) and times to whole seconds in UTC (a form's time is in the
reader's zone), so saving a form unchanged records nothing.
"""

import contextlib
import datetime
from decimal import Decimal, InvalidOperation
from functools import cache

from django.db import models
from django.utils import timezone

# {field name: [old value as text, new value as text]}
Changes = dict[str, list[str]]


@cache
def tracked_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The fields people edit: not the id, nor what the CRM keeps itself (``editable=False``:
    versions, timestamps, a deal's first expected close)."""
    return tuple(f for f in model._meta.concrete_fields if f.editable and not f.primary_key)


def as_text(field: models.Field, value) -> str:
    if value is None:
        return ""
    if isinstance(field, models.DecimalField):
        with contextlib.suppress(InvalidOperation, TypeError, ValueError):
            value = Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places))
    elif isinstance(value, datetime.datetime):
        # No form shows fractions of a second (the admin's drops them on save): not a change.
        value = value.replace(microsecond=0)
        if timezone.is_aware(value):
            value = value.astimezone(datetime.UTC)
    return str(value)


def ids_as_text(ids) -> str:
    """The members of a many-to-many field, in a stable order."""
    return ",".join(str(i) for i in sorted(ids))


def loaded(obj: models.Model, names: set[str] | None = None) -> dict[str, object]:
    """The tracked values ``obj`` holds now (only ``names``, if given), by attribute name; deferred
    fields are left out (reading them would query)."""
    held = obj.__dict__
    return {
        f.attname: held[f.attname]
        for f in tracked_fields(type(obj))
        if f.attname in held and (names is None or f.name in names or f.attname in names)
    }


def created(obj: models.Model) -> Changes:
    """Every field with a value, from nothing."""
    out = {}
    for field in tracked_fields(type(obj)):
        text = as_text(field, obj.__dict__.get(field.attname))
        if text:
            out[field.name] = ["", text]
    return out


def deleted(obj: models.Model) -> Changes:
    """Every field with a value, to nothing."""
    return {name: [new, old] for name, (old, new) in created(obj).items()}


def changed(obj: models.Model, before: dict[str, object], names: set[str] | None = None) -> Changes:
    """The fields of ``obj`` (only ``names``, if given) that differ from ``before``, by attribute.

    A field missing from ``before`` (deferred when the row was read) is left out: its old value is
    not known.
    """
    out = {}
    held = obj.__dict__
    for field in tracked_fields(type(obj)):
        if names is not None and field.name not in names and field.attname not in names:
            continue
        if field.attname not in before or field.attname not in held:
            continue
        old, new = as_text(field, before[field.attname]), as_text(field, held[field.attname])
        if old != new:
            out[field.name] = [old, new]
    return out
