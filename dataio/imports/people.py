"""Importing people (admins only): users, the teams they are in, and who manages those teams.

A row names a person by username and adds them, without a usable password (an admin sends them a
password reset), or updates their name and email. Its team is created when no team has that name;
its manager becomes one of the team's managers (and a new team's primary manager). Team
memberships are only added: moving someone out of a team is done in the admin.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dataio.imports.base import KindImporter
from dataio.imports.engine import Row
from dataio.imports.report import Problem
from people.models import Team
from people.visibility import MANAGERS_GROUP, REPS_GROUP

_DETAILS = ("first_name", "last_name", "email")


@dataclass
class PersonPlan:
    row: Row
    user: object
    new: bool
    changes: dict = field(default_factory=dict)
    team: str = ""  # the team's name as written
    manager: str = ""  # the manager's username as written


class PeopleImporter(KindImporter):
    def check(self) -> list[PersonPlan]:
        if not self.ctx.admin:
            self.report.problems.append(Problem(0, "", _("Only an admin may import people.")))
            return []
        User = get_user_model()
        self.users = {u.username.casefold(): u for u in User.objects.only("pk", "username", *_DETAILS)}
        teams = list(Team.objects.only("pk", "name", "manager_id"))
        self.teams = {t.name.casefold(): t for t in teams}
        self.memberships = set(Team.members.through.objects.values_list("team_id", "user_id"))
        self.managerships = set(Team.managers.through.objects.values_list("team_id", "user_id"))
        self.managerships |= {(t.pk, t.manager_id) for t in teams}
        self.in_file: dict[str, int] = {}
        plans = super().check()
        self._check_managers(plans)
        if self.report.problems:
            return []
        for plan in plans:
            if plan.new:
                self.report.created += 1
            elif plan.changes or self._joins(plan):
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        new_teams = {p.team.casefold() for p in plans if p.team and p.team.casefold() not in self.teams}
        if new_teams:
            self.report.added[_("Teams")] = len(new_teams)
        return plans

    def check_row(self, row: Row) -> PersonPlan | None:
        username = row.value("username")
        values = {name: row.value(name) for name in _DETAILS if name in self.ctx.mapping.fields}
        team = row.mapped_value("team") or ""
        manager = row.mapped_value("manager") or ""
        if username is None:
            return None
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            row.fail("username", _("A username has letters, digits and @ . + - _ only."))
        key = username.casefold()
        if key in self.in_file:
            row.fail("username", _("The same person is on row %(n)s.") % {"n": self.in_file[key]})
        self.in_file.setdefault(key, row.number)
        if manager and not team:
            row.fail("manager", _("A manager manages a team: name the team too."))
        if manager.casefold() == key:
            row.fail("manager", _("A person cannot be their own manager."))
        if row.problems:
            return None
        values = {k: v or "" for k, v in values.items()}
        existing = self.users.get(key)
        if existing is None:
            return PersonPlan(
                row, get_user_model()(username=username, **values), True, team=team, manager=manager
            )
        changes = {k: v for k, v in values.items() if getattr(existing, k) != v}
        return PersonPlan(row, existing, False, changes, team=team, manager=manager)

    def _check_managers(self, plans: list[PersonPlan]) -> None:
        """Managers are people already here or on a row of this file; a new team needs one."""
        named = {p.user.username.casefold() for p in plans}
        managed: dict[str, str] = {}
        first_row: dict[str, PersonPlan] = {}
        for plan in plans:
            if (
                plan.manager
                and plan.manager.casefold() not in self.users
                and plan.manager.casefold() not in named
            ):
                plan.row.fail(
                    "manager",
                    _("No user “%(name)s”; add them on a row of this file.") % {"name": plan.manager},
                )
            if plan.team:
                first_row.setdefault(plan.team.casefold(), plan)
                if plan.manager:
                    managed.setdefault(plan.team.casefold(), plan.manager)
        for key, plan in first_row.items():
            if key not in self.teams and key not in managed:
                plan.row.fail(
                    "team",
                    _("The new team “%(team)s” needs a manager: name one in the manager column.")
                    % {"team": plan.team},
                )
        for plan in plans:
            self.report.problems.extend(plan.row.problems)

    def _joins(self, plan: PersonPlan) -> bool:
        """Whether the row adds the person to a team, or a manager to it."""
        if not plan.team:
            return False
        team = self.teams.get(plan.team.casefold())
        if team is None or (team.pk, plan.user.pk) not in self.memberships:
            return True
        boss = self.users.get(plan.manager.casefold()) if plan.manager else None
        return bool(plan.manager) and (boss is None or (team.pk, boss.pk) not in self.managerships)

    def write(self, plans: list[PersonPlan]) -> None:
        User = get_user_model()
        new = [p.user for p in plans if p.new]
        for user in new:
            user.set_unusable_password()
        User.objects.bulk_create(new)
        changed = [p for p in plans if p.changes]
        for plan in changed:
            for name, value in plan.changes.items():
                setattr(plan.user, name, value)
        if changed:
            User.objects.bulk_update(
                [p.user for p in changed], sorted({n for p in changed for n in p.changes})
            )
        people = {**self.users, **{p.user.username.casefold(): p.user for p in plans}}
        reps = Group.objects.filter(name=REPS_GROUP).first()
        if reps and new:
            reps.user_set.add(*new)

        members: dict[str, list] = {}
        managers: dict[str, list] = {}
        names: dict[str, str] = {}
        for plan in plans:
            if plan.team:
                key = plan.team.casefold()
                names.setdefault(key, plan.team)
                members.setdefault(key, []).append(plan.user)
                if plan.manager:
                    managers.setdefault(key, []).append(people[plan.manager.casefold()])
        group = Group.objects.filter(name=MANAGERS_GROUP).first()
        for key, team_members in members.items():
            team = self.teams.get(key)
            bosses = managers.get(key, [])
            if team is None:
                # A new team's primary manager is the first one named for it.
                team = Team(name=names[key], manager=bosses[0])
                team.save()
                self.teams[key] = team
            team.members.add(*team_members)
            if bosses:
                team.managers.add(*bosses)
                if group:
                    group.user_set.add(*bosses)
