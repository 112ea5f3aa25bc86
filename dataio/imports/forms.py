"""The browser import's forms: the upload, and the column mapping built from the file's headers."""

import json
from pathlib import Path

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dataio.imports.fields import ADMIN_KINDS, FIELDS, KIND_LABELS, MATCHES, REFERENCE_TYPES
from dataio.imports.mapping import FieldMap, Mapping, MappingError
from dataio.imports.readers import UPLOAD_BYTES
from dataio.imports.values import BOOLEAN_STYLE_LABELS
from people.visibility import is_admin
from sales.models import Stage

MAX_UPLOAD = UPLOAD_BYTES  # larger files go through the import_data command
DATE_FORMATS = [
    ("%Y-%m-%d", "2017-03-15"),
    ("%d/%m/%Y", "15/03/2017"),
    ("%m/%d/%Y", "03/15/2017"),
    ("%d.%m.%Y", "15.03.2017"),
    ("%Y/%m/%d", "2017/03/15"),
    ("%d-%m-%Y", "15-03-2017"),
]
MISSING_OPEN_DATE_LABELS = [
    ("error", _("report the row")),
    ("first_stage_entry", _("open it when it entered its stage (or closed)")),
    ("close_date", _("open it on its close date")),
]
MATCH_LABELS = {
    "username": _("username"),
    "email": _("email"),
    "name": _("name"),
    "external_id": _("external id"),
}


def mappings_dir() -> Path:
    return Path(settings.BASE_DIR) / "mappings"


def ready_mappings() -> dict[str, dict]:
    """The mapping files shipped in mappings/, by file name; chosen by name, never by path."""
    out = {}
    for path in sorted(mappings_dir().glob("*.json")):
        try:
            out[path.name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return out


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=list(KIND_LABELS.items()))
    file = forms.FileField(
        label=_("CSV or XLSX file"), help_text=_("Up to 5 MB; use the import_data command for more.")
    )
    ready_mapping = forms.ChoiceField(label=_("Start from a ready mapping"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not is_admin(user):
            # Importing people makes accounts and teams: an admin's job.
            self.fields["kind"].choices = [(k, v) for k, v in KIND_LABELS.items() if k not in ADMIN_KINDS]
        self.ready = ready_mappings()
        self.fields["ready_mapping"].choices = [("", _("Guess from the column names"))] + [
            (name, f"{name} ({KIND_LABELS.get(data.get('kind'), '?')})") for name, data in self.ready.items()
        ]
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,.xlsx"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(
                _("The file is larger than 5 MB; import it with the import_data command.")
            )
        return upload

    def clean(self):
        data = super().clean()
        name = data.get("ready_mapping")
        if name:
            try:
                data["mapping"] = Mapping.from_dict(self.ready[name], kind=data.get("kind"))
            except MappingError as exc:
                self.add_error("ready_mapping", str(exc))
        return data


class MappingForm(forms.Form):
    """One column choice per field, plus match/missing for references and value translations."""

    date_format = forms.ChoiceField(label=_("Dates are written like"), choices=DATE_FORMATS)
    booleans = forms.ChoiceField(
        label=_("Yes/no values are written as"), choices=list(BOOLEAN_STYLE_LABELS.items())
    )

    def __init__(self, *args, mapping: Mapping, headers: list[str], samples: dict[str, list[str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.mapping = mapping
        self.kind = mapping.kind
        self.headers = list(headers)
        columns = [("", "—")] + [(h, h) for h in headers if h]
        self.rows = []
        for fdef in FIELDS[self.kind]:
            fm = mapping.fields.get(fdef.name) or FieldMap()
            name = f"col__{fdef.name}"
            self.fields[name] = forms.ChoiceField(
                label=fdef.label, choices=columns, required=False, initial=fm.columns[0] if fm.columns else ""
            )
            row = {"def": fdef, "column": self[name], "extras": [], "values": []}
            if fdef.type in REFERENCE_TYPES:
                self.fields[f"match__{fdef.name}"] = forms.ChoiceField(
                    label=_("match by"),
                    choices=[(m, MATCH_LABELS[m]) for m in MATCHES[fdef.type]],
                    initial=fm.match or MATCHES[fdef.type][0],
                )
                row["extras"].append(self[f"match__{fdef.name}"])
                if fdef.type in ("user", "customer", "product"):
                    self.fields[f"missing__{fdef.name}"] = forms.ChoiceField(
                        label=_("if missing"),
                        choices=[("report", _("report the row")), ("create", _("create it"))],
                        initial=fm.missing,
                    )
                    row["extras"].append(self[f"missing__{fdef.name}"])
            if fdef.type in ("stage", "choice") and fm.columns and fm.columns[0] in samples:
                targets = _targets(fdef)
                for i, source in enumerate(samples[fm.columns[0]]):
                    key = f"val__{fdef.name}__{i}"
                    self.fields[key] = forms.ChoiceField(
                        label=source,
                        choices=targets,
                        required=False,
                        initial=fm.values.get(source) or _guess(source, targets),
                    )
                    # A value we cannot place is flagged now rather than failing in the preview.
                    row["values"].append((source, self[key], not self.fields[key].initial))
            if fdef.name == "lost_reason":
                self.fields["default__lost_reason"] = forms.CharField(
                    label=_("default"), required=False, initial=fm.default, max_length=200
                )
                row["extras"].append(self["default__lost_reason"])
            self.rows.append(row)
        self.fields["date_format"].initial = mapping.date_formats[0] if mapping.date_formats else "%Y-%m-%d"
        if self.fields["date_format"].initial not in dict(DATE_FORMATS):
            self.fields["date_format"].choices = [
                (mapping.date_formats[0], mapping.date_formats[0]),
                *DATE_FORMATS,
            ]
        self.fields["booleans"].initial = mapping.booleans
        if self.kind == "deals":
            self.fields["missing_open_date"] = forms.ChoiceField(
                label=_("A deal with no open date"),
                choices=MISSING_OPEN_DATE_LABELS,
                initial=mapping.missing_open_date,
            )

    def clean(self):
        data = super().clean()
        fields: dict = {}
        for row in self.rows:
            fdef = row["def"]
            column = data.get(f"col__{fdef.name}")
            default = data.get(f"default__{fdef.name}", "")
            before = self.mapping.fields.get(fdef.name)
            if not column and before and self._absent_optional(before):
                # The preset's optional column is not in this file: keep it, so the preview says so.
                fields[fdef.name] = before
                continue
            if not column and not default:
                continue
            fm = FieldMap(columns=[column] if column else [], default=default or "")
            fm.match = data.get(f"match__{fdef.name}", "")
            fm.missing = data.get(f"missing__{fdef.name}", "report")
            fm.date_formats = (self.mapping.fields.get(fdef.name) or FieldMap()).date_formats
            for source, bound, _needs in row["values"]:
                target = data.get(bound.name)
                if target:
                    fm.values[source] = target
            fields[fdef.name] = fm
        self.mapping.fields = fields
        self.mapping.date_formats = [data.get("date_format") or "%Y-%m-%d"] + [
            f for f in self.mapping.date_formats if f != data.get("date_format")
        ]
        self.mapping.booleans = data.get("booleans") or "1/empty"
        if "missing_open_date" in self.fields:
            self.mapping.missing_open_date = data.get("missing_open_date") or "error"
        try:
            self.mapping.check()
        except MappingError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data

    def _absent_optional(self, fm: FieldMap) -> bool:
        optional = set(self.mapping.optional)
        return bool(fm.columns) and all(c in optional and c not in self.headers for c in fm.columns)


def _targets(fdef) -> list[tuple[str, str]]:
    if fdef.type == "stage":
        stages = list(Stage.objects.order_by("order"))
        return (
            [("", _("(as written)"))]
            + [(s.key, s.name) for s in stages]
            + [("lost", _("Lost (at its last open stage)"))]
            + [(f"lost:{s.key}", _("Lost at %(s)s") % {"s": s.name}) for s in stages if s.is_open]
        )
    return [("", _("(as written)"))] + [(c, c) for c in fdef.choices]


def _guess(source: str, targets: list[tuple[str, str]]) -> str:
    folded = source.casefold()
    for key, label in targets:
        if key and folded in (key.casefold(), str(label).casefold()):
            return key
    if "won" in folded:
        return next((k for k, _label in targets if k == "buy"), "")
    if "lost" in folded:
        return "lost" if any(k == "lost" for k, _label in targets) else ""
    return ""
