"""Many-to-many fields of tracked models (a team's members), which change without a ``save()``.

Django tells of such changes only by the ``m2m_changed`` signal; recording them there is history's
infrastructure, not a business rule. Changes made from the other side (a user's teams) are not
recorded: the CRM only edits members from the team.
"""

from django.db import models

from history import values
from history.models import ChangeLog, Tracked, record

_BEFORE = "_history_many_before"


def _field(instance: models.Model, through) -> models.ManyToManyField | None:
    return next((f for f in instance._meta.many_to_many if f.remote_field.through is through), None)


def many_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if reverse or not isinstance(instance, Tracked):
        return
    field = _field(instance, sender)
    if field is None or (action in {"pre_add", "pre_remove", "post_add", "post_remove"} and not pk_set):
        return
    if action.startswith("pre_"):
        current = set(getattr(instance, field.name).values_list("pk", flat=True))
        setattr(instance, _BEFORE, {**getattr(instance, _BEFORE, {}), field.name: current})
        return
    pending = dict(getattr(instance, _BEFORE, {}))
    before = pending.pop(field.name, None)
    setattr(instance, _BEFORE, pending)
    if before is None:
        return
    named = set(pk_set or ())
    after = {"post_add": before | named, "post_remove": before - named}.get(action, set())
    if after != before:
        change = [values.ids_as_text(before), values.ids_as_text(after)]
        record(instance, ChangeLog.Action.UPDATED, {field.name: change})
