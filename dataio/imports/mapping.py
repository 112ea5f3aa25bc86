"""The mapping: which column feeds which field and how the source's values translate.

The JSON format is documented in docs/importing.md; ``Mapping.from_dict`` checks it and
``Mapping.to_dict`` writes it back, so a mapping made in the browser can be saved for the CLI.
"""

import re
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext as _

from dataio.imports.fields import FIELDS, KINDS, MATCHES, REFERENCE_TYPES, field_defs
from dataio.imports.readers import ENCODINGS
from dataio.imports.values import BOOLEAN_STYLES, DEFAULT_DATE_FORMATS

MISSING_POLICIES = ("report", "create")
OPENED_AFTER_CLOSE = ("report", "use_close_date")
# What a deal row with no open date gets: a problem for the row, its stage-entry date, or its close.
MISSING_OPEN_DATE = ("error", "first_stage_entry", "close_date")
# What a missing reference may become, per type (owners are created only by admins).
CREATABLE = {"user", "customer", "product"}


class MappingError(Exception):
    """The mapping itself is wrong (not one row of the file); the message says where."""


@dataclass
class FieldMap:
    columns: list[str] = field(default_factory=list)
    join: str = " "
    values: dict[str, str] = field(default_factory=dict)
    default: str = ""
    match: str = ""
    missing: str = "report"
    date_formats: list[str] = field(default_factory=list)

    @property
    def column_label(self) -> str:
        return " + ".join(self.columns)

    def to_dict(self) -> dict | str:
        out: dict = {}
        if len(self.columns) == 1:
            out["column"] = self.columns[0]
        elif self.columns:
            out["columns"] = self.columns
            out["join"] = self.join
        for name in ("values", "default", "match", "date_formats"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.missing != "report":
            out["missing"] = self.missing
        if list(out) == ["column"]:
            return out["column"]
        return out


@dataclass
class Mapping:
    kind: str
    fields: dict[str, FieldMap] = field(default_factory=dict)
    encoding: str = "auto"
    delimiter: str = ""
    date_formats: list[str] = field(default_factory=lambda: list(DEFAULT_DATE_FORMATS))
    booleans: str = "1/empty"
    lost_stage: str = ""
    opened_after_close: str = "report"
    missing_open_date: str = "error"
    # Columns the file may leave out; the fields they feed are then blank (or their default).
    optional: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict, *, kind: str | None = None, check: bool = True) -> "Mapping":
        """Read a mapping; ``check=False`` accepts an unfinished one (the browser's draft)."""
        if not isinstance(data, dict):
            raise MappingError(_("A mapping is a JSON object."))
        declared = data.get("kind")
        kind = kind or declared
        if kind not in KINDS:
            raise MappingError(_("The kind must be one of %(kinds)s.") % {"kinds": ", ".join(KINDS)})
        if declared and declared != kind:
            raise MappingError(
                _("This mapping is for %(declared)s, not %(kind)s.") % {"declared": declared, "kind": kind}
            )
        unknown = set(data) - {
            "kind", "fields", "encoding", "delimiter", "date_formats", "booleans", "lost_stage",
            "opened_after_close", "description", "missing_open_date", "optional",
        }  # fmt: skip
        if unknown:
            raise MappingError(_("Unknown mapping keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))})
        mapping = cls(
            kind=kind,
            encoding=data.get("encoding", "auto"),
            delimiter=data.get("delimiter", ""),
            date_formats=list(data.get("date_formats") or DEFAULT_DATE_FORMATS),
            booleans=data.get("booleans", "1/empty"),
            lost_stage=data.get("lost_stage", ""),
            opened_after_close=data.get("opened_after_close", "report"),
            missing_open_date=data.get("missing_open_date", "error"),
            optional=data.get("optional") or [],
        )
        if not isinstance(mapping.optional, list) or not all(isinstance(c, str) for c in mapping.optional):
            raise MappingError(_("“optional” is a list of column names."))
        raw_fields = data.get("fields") or {}
        if not isinstance(raw_fields, dict):
            raise MappingError(_("“fields” is an object of field name to column."))
        for name, spec in raw_fields.items():
            mapping.fields[name] = _field_map(name, spec)
        if check:
            mapping.check()
        return mapping

    def check(self) -> None:
        """Refuse a mapping that could not work for any file; say what to fix."""
        if self.encoding not in ENCODINGS:
            raise MappingError(_("The encoding must be one of %(e)s.") % {"e": ", ".join(ENCODINGS)})
        if self.delimiter not in ("", ",", ";", "\t", "|"):
            raise MappingError(_("The delimiter must be a comma, semicolon, tab or bar."))
        if self.booleans not in BOOLEAN_STYLES:
            raise MappingError(_("“booleans” must be one of %(s)s.") % {"s": ", ".join(BOOLEAN_STYLES)})
        if self.opened_after_close not in OPENED_AFTER_CLOSE:
            raise MappingError(_("“opened_after_close” must be report or use_close_date."))
        if self.missing_open_date not in MISSING_OPEN_DATE:
            raise MappingError(
                _("“missing_open_date” must be one of %(p)s.") % {"p": ", ".join(MISSING_OPEN_DATE)}
            )
        for fmt in self.date_formats + [f for fm in self.fields.values() for f in fm.date_formats]:
            if not isinstance(fmt, str) or "%" not in fmt:
                raise MappingError(_("“%(f)s” is not a date format such as %%d/%%m/%%Y.") % {"f": fmt})
        defs = field_defs(self.kind)
        for name, fm in self.fields.items():
            # A NUL would reach the database (PostgreSQL refuses it) or never match a column.
            if any(
                "\x00" in text for text in (fm.join, fm.default, *fm.columns, *fm.values, *fm.values.values())
            ):
                raise MappingError(_("The mapping of “%(name)s” contains a NUL character.") % {"name": name})
            if name not in defs:
                raise MappingError(
                    _("%(kind)s have no field “%(name)s” (they have %(names)s).")
                    % {"kind": self.kind, "name": name, "names": ", ".join(defs)}
                )
            ftype = defs[name].type
            if ftype in REFERENCE_TYPES:
                fm.match = fm.match or MATCHES[ftype][0]
                if fm.match not in MATCHES[ftype]:
                    raise MappingError(
                        _("%(name)s can be matched by %(m)s.")
                        % {"name": name, "m": ", ".join(MATCHES[ftype])}
                    )
                if fm.missing == "create" and (
                    ftype not in CREATABLE or (ftype == "customer" and fm.match != "name")
                ):
                    raise MappingError(_("Missing %(name)s rows cannot be created here.") % {"name": name})
            elif fm.match:
                raise MappingError(_("Only owners, customers, products, deals and teams are matched."))
            if fm.missing not in MISSING_POLICIES:
                raise MappingError(_("“missing” must be report or create."))
        for fdef in defs.values():
            fm = self.fields.get(fdef.name)
            if fdef.required and not (fm and (fm.columns or fm.default)):
                raise MappingError(_("Map a column to the required field “%(f)s”.") % {"f": fdef.label})
        if self.kind == "plans" and not self._given("period"):
            for name in ("period_start", "period_end"):
                if not self._given(name):
                    raise MappingError(
                        _("Map a column to “%(f)s”, or a period column that gives start and end.")
                        % {"f": defs[name].label}
                    )

    def _given(self, name: str) -> bool:
        fm = self.fields.get(name)
        return bool(fm and (fm.columns or fm.default))

    def to_dict(self) -> dict:
        out = {"kind": self.kind}
        if self.encoding != "auto":
            out["encoding"] = self.encoding
        if self.delimiter:
            out["delimiter"] = self.delimiter
        out["date_formats"] = self.date_formats
        out["booleans"] = self.booleans
        if self.lost_stage:
            out["lost_stage"] = self.lost_stage
        if self.opened_after_close != "report":
            out["opened_after_close"] = self.opened_after_close
        if self.missing_open_date != "error":
            out["missing_open_date"] = self.missing_open_date
        if self.optional:
            out["optional"] = self.optional
        out["fields"] = {name: fm.to_dict() for name, fm in self.fields.items()}
        return out

    def missing_columns(self, headers: list[str]) -> list[str]:
        """The columns the mapping needs and the file lacks (optional ones may be absent)."""
        present, optional = set(headers), set(self.optional)
        return sorted(
            {c for fm in self.fields.values() for c in fm.columns if c not in present and c not in optional}
        )

    def for_headers(self, headers: list[str]) -> "Mapping":
        """This mapping less the optional columns the file lacks: a field fed only by them is left
        out (or keeps just its default), as if the mapping never named them."""
        absent = set(self.absent_optional(headers))
        if not absent:
            return self
        fields = {}
        for name, fm in self.fields.items():
            columns = [c for c in fm.columns if c not in absent]
            if columns or fm.default or not fm.columns:
                fields[name] = replace(fm, columns=columns)
        return replace(self, fields=fields)

    def absent_optional(self, headers: list[str]) -> list[str]:
        """The optional columns the mapping uses and the file leaves out: said in the preview."""
        present = set(headers)
        used = {c for fm in self.fields.values() for c in fm.columns}
        return sorted(c for c in set(self.optional) & used if c not in present)


def _field_map(name: str, spec) -> FieldMap:
    if isinstance(spec, str):
        return FieldMap(columns=[spec] if spec else [])
    if not isinstance(spec, dict):
        raise MappingError(_("Field “%(name)s” must be a column name or an object.") % {"name": name})
    unknown = set(spec) - {
        "column",
        "columns",
        "join",
        "values",
        "default",
        "match",
        "missing",
        "date_formats",
    }
    if unknown:
        raise MappingError(
            _("Field “%(name)s” has unknown keys: %(keys)s.")
            % {"name": name, "keys": ", ".join(sorted(unknown))}
        )
    columns = spec.get("columns") or ([spec["column"]] if spec.get("column") else [])
    values = spec.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise MappingError(_("The values of field “%(name)s” translate text to text.") % {"name": name})
    return FieldMap(
        columns=list(columns),
        join=spec.get("join", " "),
        values={str(k): v for k, v in values.items()},
        default=str(spec.get("default") or ""),
        match=spec.get("match", ""),
        missing=spec.get("missing", "report"),
        date_formats=list(spec.get("date_formats") or []),
    )


def _norm(text: str) -> str:
    text = re.sub(r"__c$", "", text.strip(), flags=re.IGNORECASE)  # Salesforce custom fields
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)  # CamelCase API names: CloseDate
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def _plausible(ftype: str, values: list[str], choices: tuple[str, ...] = ()) -> bool:
    """Whether most of a column's first values could be of ``ftype``: a "Closed" date is no yes/no,
    and a Salesforce "Type" of "Customer - Direct" is no company-or-person.

    Most, not all, so that one bad cell does not hide the column; the preview reports that cell.
    """
    from dataio.imports.values import BOOLEAN_STYLES, parse_date, parse_money

    values = [v for v in values if v][:20]
    if values and ftype == "choice" and choices:
        known = {c.casefold() for c in choices}
        return sum(v.strip().casefold() in known for v in values) * 5 >= len(values) * 4
    if not values or ftype not in ("bool", "date", "datetime", "money"):
        return True
    if ftype == "bool":
        return any(
            sum(v.casefold() in t | f for v in values) * 5 >= len(values) * 4
            for t, f in BOOLEAN_STYLES.values()
        )
    formats = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d"]
    good = 0
    for v in values:
        try:
            parse_money(v) if ftype == "money" else parse_date(v, formats)
            good += 1
        except ValueError:
            pass
    return good * 5 >= len(values) * 4


def guess_mapping(kind: str, headers: list[str], samples: dict[str, list[str]] | None = None) -> Mapping:
    """Match header names to fields by their names and common aliases; unsure ones stay unmapped."""
    samples = samples or {}
    by_norm = {}
    for header in headers:
        by_norm.setdefault(_norm(header), header)
    mapping = Mapping(kind=kind)
    for fdef in FIELDS[kind]:
        # Aliases first, most likely first: a Salesforce file has both Id and External_id__c.
        for candidate in (*fdef.aliases, fdef.name, str(fdef.label)):
            header = by_norm.get(_norm(candidate))
            if header and _plausible(fdef.type, samples.get(header, []), fdef.choices):
                mapping.fields[fdef.name] = FieldMap(columns=[header])
                break
    return mapping
