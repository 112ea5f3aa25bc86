from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Problem:
    """One reason a row cannot be imported: its number in the file, the column, and why."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column or '-'}: {self.reason}"


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Referenced rows the import adds because the mapping says "create" (owners, customers, products).
    added: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Optional columns of the mapping that the file did not have.
    absent_optional: list[str] = field(default_factory=list)
    dry_run: bool = False
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.row})

    def summary(self) -> str:
        if self.problems:
            return str(
                _("%(n)s problem(s) in %(rows)s row(s); nothing was imported.")
                % {"n": len(self.problems), "rows": len(self.bad_rows)}
            )
        verb = _("would be") if not self.committed else _("were")
        added = ", ".join(f"{n} {what}" for what, n in self.added.items() if n)
        text = _(
            "%(rows)s rows: %(created)s %(verb)s created, %(updated)s updated, %(unchanged)s unchanged."
        ) % {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "verb": verb,
        }
        if added:
            text += " " + str(_("New: %(added)s.") % {"added": added})
        return str(text)
