"""Small helpers every form of the CRM uses: focus, whitespace, and selects over many records."""

from crispy_forms.layout import HTML
from django import forms


def autofocus_first(form: forms.Form) -> None:
    """Put the cursor in the first field with an error, else the first field: keyboard users start typing."""
    names = [n for n, f in form.fields.items() if not f.widget.is_hidden]
    errored = [n for n in names if form.is_bound and n in form.errors]
    target = (errored or names or [None])[0]
    if target:
        form.fields[target].widget.attrs["autofocus"] = True


def strip_text(data: dict, names: tuple[str, ...]) -> dict:
    for name in names:
        if isinstance(data.get(name), str):
            data[name] = " ".join(data[name].split())
    return data


# A select lists at most this many records; beyond it a search box fetches the matching ones.
PICKER_LIMIT = 200


def limit_choices(form: forms.Form, name: str, search_url: str) -> None:
    """Render at most ``PICKER_LIMIT`` options of ``name`` (plus the chosen one), and a search box.

    Validation still uses the field's whole queryset, so any visible record is accepted; only the
    page stays small when a manager or admin may see thousands of records.
    """
    field = form.fields[name]
    shown = list(field.queryset[: PICKER_LIMIT + 1])
    many = len(shown) > PICKER_LIMIT
    shown = shown[:PICKER_LIMIT]
    chosen = form[name].value()
    if chosen not in (None, "") and str(chosen).isdigit() and all(o.pk != int(chosen) for o in shown):
        shown += list(field.queryset.filter(pk=chosen))
    field.widget.choices = [("", field.empty_label or "")] + [
        (o.pk, field.label_from_instance(o)) for o in shown
    ]
    form.pickers = {**getattr(form, "pickers", {}), name: search_url if many else ""}


def picker_search(name: str, url_name: str, *, also: str = "") -> HTML:
    """A search box under a limited select that swaps in the matching options (htmx); ``also``, a
    CSS selector of other fields whose values the search sends too (the chosen customer)."""
    include = "this" + (f", {also}" if also else "")
    return HTML(
        "{% load i18n %}{% if form.pickers." + name + " %}"
        '<input type="search" class="form-control form-control-sm mt-n2 mb-3" name="' + name + '_q" '
        'placeholder="{% translate "Type to find more…" %}" aria-label="{% translate "Search" %}" '
        'aria-controls="id_' + name + '" autocomplete="off" '
        'hx-get="{% url "' + url_name + '" %}" hx-target="#id_' + name + '" '
        'hx-trigger="input changed delay:300ms" hx-include="' + include + '">{% endif %}'
    )
