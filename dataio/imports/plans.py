"""Importing sales plans."""

from functools import cached_property

from django.utils.translation import gettext as _

from dataio.imports.engine import Row, clean_external_id
from dataio.imports.records import Plan, _SimpleImporter
from people.visibility import managed_teams
from sales.models import SalesPlan


class SalesPlanImporter(_SimpleImporter):
    model = SalesPlan
    simple_fields = (
        "name", "period_start", "period_end", "region", "channel", "product_category", "target_ratio",
        "activity_ratio", "revenue_quota", "activities_quota",
    )  # fmt: skip

    def external_id(self, row: Row):
        # Plans have no owner; who may change one depends on its scope.
        ext = clean_external_id(row, self.seen_ids)
        obj = self.existing.get(ext) if ext else None
        if obj is not None and not self.may_plan(obj.scope, obj.team, obj.rep_id):
            row.fail("external_id", _("This external id belongs to a plan you may not change."))
            return ext, None
        return ext, obj

    @cached_property
    def managed_team_ids(self) -> set[int]:
        """The teams the importing user manages, as primary manager or co-manager: read once."""
        return set(managed_teams(self.ctx.user).values_list("pk", flat=True))

    def may_plan(self, scope: str, team, rep_id: int | None) -> bool:
        if self.ctx.admin:
            return True
        if scope == SalesPlan.Scope.TEAM:
            return team is not None and team.pk in self.managed_team_ids
        if scope == SalesPlan.Scope.REP:
            return rep_id is not None and self.ctx.may_own(rep_id)
        return False  # company-wide targets are an admin's to set

    def check_row(self, row: Row) -> Plan | None:
        mapped = self.ctx.mapping.fields
        ext, existing = self.external_id(row)
        values = self.simple_values(row)
        team = row.mapped_value("team")
        rep = row.mapped_value("rep")
        scope = row.mapped_value("scope")
        scope = scope or (
            SalesPlan.Scope.REP if rep else SalesPlan.Scope.TEAM if team else SalesPlan.Scope.COMPANY
        )
        if row.problems:
            return None
        if scope == SalesPlan.Scope.TEAM and team is None:
            row.fail("team", _("A team plan names its team."))
        elif scope == SalesPlan.Scope.REP and rep is None:
            row.fail("rep", _("A rep plan names its rep."))
        elif scope != SalesPlan.Scope.TEAM and team is not None:
            row.fail("team", _("Only a team plan names a team."))
        elif scope != SalesPlan.Scope.REP and rep is not None:
            row.fail("rep", _("Only a rep plan names a rep."))
        elif not self.may_plan(scope, team, rep.pk if rep else None):
            row.fail("scope" if "scope" in mapped else "name", _("You may not set plans for this scope."))
        period = row.value("period") if "period" in mapped else None
        if period is not None:
            # A period column sets both ends; a start or end column given too narrows it.
            values["period_start"] = values.get("period_start") or period[0]
            values["period_end"] = values.get("period_end") or period[1]
        start, end = values.get("period_start"), values.get("period_end")
        for name in ("period_start", "period_end"):
            if values.get(name) is None and not row.problems_for(name) and not row.problems_for("period"):
                column = name if name in mapped or "period" not in mapped else "period"
                row.fail(column, _("A value is required."))
        if start and end and end < start:
            row.fail("period_end", _("The period must end on or after its start."))
        values.update(scope=scope, team=team, rep=rep, external_id=ext)
        for name in ("region", "channel", "product_category"):
            if name in values and values[name] is None:
                values[name] = ""
        return self.finish(row, existing, values)
