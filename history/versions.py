"""Lost-update protection for rows people edit in forms: a ``version`` checked on every save.

A page or an API client reads a row at some version and sends that version back with its edit. The
save bumps the version only where it is still the one read (one conditional UPDATE, in the save's
transaction); if someone else saved in between, nothing is written and ``StaleVersion`` carries the
row as it now is, for the page to show beside what the user typed, or the API to return with 409.
Deals keep their own versioned verbs (``Deal._write``); this is the same rule for plain saves.
"""

import datetime

from django import forms
from django.core import signing
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from history import values


class StaleVersion(Exception):
    """The row changed since the copy being saved was read; ``current`` is the row as it now is."""

    def __init__(self, current: models.Model):
        self.current = current
        super().__init__(
            _("This %(record)s was changed by someone else since you opened it.")
            % {"record": current._meta.verbose_name}
        )


class Versioned(models.Model):
    # A database default as well: rows inserted in bulk by raw SQL (the demo data, benchmarks) start at 1.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self._state.adding or self.pk is None:
            super().save(*args, **kwargs)
            return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        rows = type(self)._base_manager.using(using)
        seen = self.version
        with transaction.atomic(using=using):
            if not rows.filter(pk=self.pk, version=seen).update(version=seen + 1):
                raise StaleVersion(rows.get(pk=self.pk))
            self.version = seen + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            try:
                super().save(*args, **kwargs)
            except BaseException:
                self.version = seen
                raise


def _version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 2, required=False)


class _OpenedAtVersion:
    """Mix into a model form that declares ``version_field`` (``_version_field()``): the field holds
    the version of the row the form was opened on, and the row is saved as that version, so a save
    over a newer one is refused (``StaleVersion``)."""

    version_field = "version"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields[self.version_field].initial = self.instance.version

    def _post_clean(self) -> None:
        super()._post_clean()
        seen = self.cleaned_data.get(self.version_field)
        if seen and self.instance.pk is not None:
            self.instance.version = seen


class VersionedFormMixin(_OpenedAtVersion, forms.Form):
    """A model form that sends back the version of the row it was opened on, and a signed copy of
    the values it showed, so a stale save can tell the user's edits from the other person's."""

    version = _version_field()
    original = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["original"].initial = signing.dumps(self._texts(self.instance), salt=_SALT)

    def _stored_names(self) -> list[str]:
        stored = {f.name for f in self._meta.model._meta.concrete_fields}
        return [n for n in self.fields if n in stored]

    def _texts(self, obj: models.Model) -> dict[str, str]:
        return {n: _text(obj, n, getattr(obj, obj._meta.get_field(n).attname)) for n in self._stored_names()}

    def stale(self, current: models.Model) -> list[tuple[str, str, str]]:
        """Point the form at the row as it now is: fields the user edited keep what they typed,
        fields they left alone take the other person's values, and saving again applies the user's
        edits over the new row. Returns, for each field the other person changed, (label, their
        value, the value in the form now)."""
        try:
            original = signing.loads(self.cleaned_data.get("original") or "", salt=_SALT)
        except signing.BadSignature:
            original = {}
        theirs_text = self._texts(current)
        data = self.data.copy()
        differences = []
        for name in self._stored_names():
            if name not in self.cleaned_data:
                continue
            mine = _text(current, name, self.cleaned_data[name])
            edited = original.get(name) != mine
            if not edited:
                _put(data, self.add_prefix(name), getattr(current, current._meta.get_field(name).attname))
            if theirs_text[name] != original.get(name):
                label = str(self.fields[name].label or name)
                shown_mine = _shown_value(self.cleaned_data[name]) if edited else _shown(current, name)
                differences.append((label, _shown(current, name), shown_mine))
        data[self.add_prefix("version")] = str(current.version)
        data[self.add_prefix("original")] = signing.dumps(theirs_text, salt=_SALT)
        self.data = data
        self.instance.version = current.version
        return differences


_SALT = "history.versions.original"


def _text(obj: models.Model, name: str, value) -> str:
    field = obj._meta.get_field(name)
    if isinstance(value, models.Model):
        value = value.pk
    return values.as_text(field, value)


def _put(data, key: str, value) -> None:
    if isinstance(value, bool):
        if value:
            data[key] = "on"
        else:
            data.pop(key, None)
    elif value is None:
        data[key] = ""
    elif isinstance(value, datetime.datetime):
        data[key] = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
    else:
        data[key] = str(value)


def _shown_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def _shown(obj: models.Model, name: str) -> str:
    field = obj._meta.get_field(name)
    if field.choices:
        return str(getattr(obj, f"get_{name}_display")())
    return _shown_value(getattr(obj, name))


class VersionedAdminForm(_OpenedAtVersion, forms.ModelForm):
    """The admin's change form for a versioned model: a save over someone else's newer change is
    refused with a message naming what they changed, and what the admin typed stays in the form."""

    version_field = "seen_version"
    seen_version = _version_field()

    def clean(self) -> dict:
        data = super().clean()
        seen = data.get("seen_version")
        if seen and self.instance.pk is not None:
            current = type(self.instance)._base_manager.filter(pk=self.instance.pk).first()
            if current is not None and current.version != seen:
                changed = [
                    str(field.label or name)
                    for name, field in self.fields.items()
                    if name in data
                    and name in {f.name for f in current._meta.concrete_fields}
                    and _shown(current, name) != _shown_value(data[name])
                ]
                message = _("%(stale)s Reload the page to see their values before saving yours.") % {
                    "stale": StaleVersion(current)
                }
                if changed:
                    message = _("%(message)s Fields that differ: %(fields)s.") % {
                        "message": message,
                        "fields": ", ".join(changed),
                    }
                raise forms.ValidationError(message, code="stale")
        return data
