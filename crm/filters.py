"""The base of every list's filters: a django-filter FilterSet that its page, export and API share.

Values come straight from query strings, so a value that does not parse is ignored (and named in
``invalid``) instead of failing the request; the page's filter bar then shows what was applied.
"""

from collections.abc import Iterable, Sequence

import django_filters
from django import forms
from django.db.models import F, QuerySet
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from crm.htmx import wants_fragment

# Ids beyond a 64-bit integer would make the database driver raise instead of finding nothing.
MAX_ID = 2**63 - 1

INPUT_CLASS = "form-control form-control-sm"
SELECT_CLASS = "form-select form-select-sm"


class FilterForm(forms.Form):
    """The form behind a FilterSet: Bootstrap's small controls, text without NUL bytes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = SELECT_CLASS if isinstance(field.widget, forms.Select) else INPUT_CLASS
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict:
        data = super().clean()
        # NUL bytes are refused by PostgreSQL; nobody searches for them on purpose.
        return {k: v.replace("\x00", "").strip() if isinstance(v, str) else v for k, v in data.items()}


class DatalistInput(forms.TextInput):
    """A text box that offers ``options`` as you type (the browser's ``<input list>``); any text
    may still be entered, and the filter matches it without regard to case."""

    def __init__(self, options: Sequence[str], attrs: dict | None = None):
        super().__init__(attrs)
        self.options = list(options)

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or 'id_' + name}-options"
        attrs.update(list=list_id, autocomplete="off")
        box = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}"></option>', ((o,) for o in self.options))
        return format_html('{}<datalist id="{}">{}</datalist>', box, list_id, options)


def distinct_values(request, queryset: QuerySet, paths: dict[str, str]) -> dict[str, list[str]]:
    """The distinct non-empty values of each field in ``paths`` (name -> field path) among the rows
    of ``queryset``, sorted without regard to case and without case-only duplicates.

    One query for all the fields, kept on ``request`` so a page asks at most once per list.
    """
    key = (queryset.model._meta.label, tuple(paths.items()))
    cache = request.__dict__.setdefault("_distinct_values", {})
    if key not in cache:
        rows = queryset.order_by().values_list(*paths.values()).distinct()
        found: dict[str, dict[str, str]] = {name: {} for name in paths}
        for row in rows:
            for name, value in zip(paths, row, strict=True):
                if value and value.strip():
                    found[name].setdefault(value.strip().casefold(), value.strip())
        cache[key] = {name: sorted(v.values(), key=str.casefold) for name, v in found.items()}
    return cache[key]


class IdFilter(django_filters.NumberFilter):
    """A record's id. ``empty_label`` heads the select a page may offer instead of a number box."""

    field_class = forms.IntegerField

    def __init__(self, *args, empty_label: str | None = None, **kwargs):
        self.empty_label = empty_label
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)

    def get_max_validator(self) -> None:
        return None  # max_value already stops at MAX_ID


class TextFilter(django_filters.CharFilter):
    """Free text of at most ``max_length`` characters (200 unless told); a longer one is ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)


class SearchFilter(TextFilter):
    """Text the queryset's own ``search`` looks for: each model knows which of its columns to search."""

    def filter(self, qs: QuerySet, value: str | None) -> QuerySet:
        return qs.search(value) if value else qs


class DayFilter(django_filters.DateFilter):
    """A day, entered with the browser's date picker (which reads and writes ISO dates)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(*args, **kwargs)


class OneSelect(forms.SelectMultiple):
    """One select for a parameter that may repeat: a person picks one value, a link may give several."""

    def get_context(self, name: str, value, attrs) -> dict:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("multiple", None)
        return context


def given(value: Iterable | None) -> list[str]:
    """The distinct, non-empty values of a parameter that may repeat, in the order given."""
    return [str(v) for v in dict.fromkeys(value or ()) if v]


class KnownChoicesField(forms.MultipleChoiceField):
    """Several choices where an unknown one is ignored on its own: the known ones still filter."""

    widget = OneSelect

    def clean(self, value) -> list[str]:
        return [v for v in given(value) if self.valid_value(v)]


class KnownChoicesFilter(django_filters.MultipleChoiceFilter):
    """``?stage=a&stage=b``: rows matching any of the known values given."""

    field_class = KnownChoicesField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        return qs.filter(**{f"{self.field_name}__in": value}) if value else qs


class SortFilter(django_filters.ChoiceFilter):
    """A column to sort by, ``-`` first for descending; no value (or an ignored one) keeps ``default``.

    Nulls come last either way, and the primary key breaks ties so that pages do not overlap.
    """

    def __init__(self, sorts: dict[str, tuple[str, ...]], *, default: tuple[str, ...], **kwargs):
        self.sorts, self.default = sorts, default
        kwargs.setdefault("empty_label", None)
        super().__init__(choices=[(v, v) for key in sorts for v in (key, f"-{key}")], **kwargs)

    def filter(self, qs: QuerySet, value: str | None) -> QuerySet:
        if not value:
            return qs.order_by(*self.default)
        descending = value.startswith("-")
        exprs = [F(name) for name in self.sorts[value.lstrip("-")]]
        exprs = [e.desc(nulls_last=True) if descending else e.asc(nulls_last=True) for e in exprs]
        return qs.order_by(*exprs, "-pk" if descending else "pk")


class ListFilterSet(django_filters.FilterSet):
    """A list's filters; a value that does not parse is left out, never a 400 or a server error."""

    class Meta:
        form = FilterForm

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Every filter runs, an ignored one with None: that is how a sort falls back to its default.
        data = self.form.cleaned_data
        for name, filter_ in self.filters.items():
            queryset = filter_.filter(queryset, data.get(name))
        return queryset

    @cached_property
    def applied(self) -> dict:
        """The cleaned values that filter (or sort) the list, by parameter name."""
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return {k: v for k, v in self.form.cleaned_data.items() if v not in EMPTY_VALUES}

    @cached_property
    def invalid(self) -> tuple[str, ...]:
        """The parameters ignored, wholly or in part, because their values did not make sense."""
        if not self.is_bound:
            return ()
        names = set(self.form.errors)
        for name, field in self.form.fields.items():
            if isinstance(field, KnownChoicesField):
                raw = given(self.form[name].data)
                if len(raw) > len(self.applied.get(name, ())):
                    names.add(name)
        return tuple(sorted(names))

    @classmethod
    def suggested(cls, request, bar: forms.Form, queryset: QuerySet, paths: dict[str, str]) -> forms.Form:
        """The bar with the boxes named in ``paths`` offering the values found among ``queryset``
        (the rows the user can see); a table-only refresh has no bar, so nothing is read for it."""
        if wants_fragment(request):
            return bar
        return cls.suggest(bar, distinct_values(request, queryset, paths))

    @staticmethod
    def suggest(bar: forms.Form, values: dict[str, list[str]]) -> forms.Form:
        """Turn the bar's text boxes named in ``values`` into boxes that offer those values."""
        for name, options in values.items():
            if name in bar.fields:
                attrs = {"class": INPUT_CLASS, "placeholder": _("Type or pick")}
                bar.fields[name].widget = DatalistInput(options, attrs=attrs)
        return bar

    def bar(self, shown: Sequence[str], **choices: Iterable[tuple]) -> forms.Form:
        """The page's filter bar: the ``shown`` fields in that order, holding the applied values.

        An ignored value shows empty, as it did not filter. ``choices`` turns an id field into a
        select of those options, after the filter's ``empty_label``.
        """
        form = self.get_form_class()(initial=dict(self.applied))
        form.fields = {name: form.fields[name] for name in shown}
        for field in form.fields.values():
            # The help texts describe the API's parameters; the bar's labels say enough.
            field.help_text = ""
        for name, options in choices.items():
            if name not in form.fields:
                continue
            empty = getattr(self.filters[name], "empty_label", None)
            head = [] if empty is None else [("", empty)]
            attrs = {"class": SELECT_CLASS}
            form.fields[name].widget = forms.Select(choices=[*head, *options], attrs=attrs)
        return form
