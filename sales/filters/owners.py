"""The owner and team filters of the customer and deal lists, and their selects in the filter bar."""

from collections.abc import Sequence

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.filters import IdFilter, ListFilterSet
from people.names import display_name
from sales.metrics.scope import team_owner_ids


class OwnerTeamFilterSet(ListFilterSet):
    owner = IdFilter(label=_("Owner"), empty_label=_("Everyone"))
    team = IdFilter(
        method="filter_team",
        label=_("Team"),
        empty_label=_("All teams"),
        help_text=_("Owned by the team's members and its manager."),
    )

    def filter_team(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        # A subquery, like the dashboard's team scope, so a team's list and its figures agree.
        return queryset.filter(owner__in=team_owner_ids(value))

    def owner_team_bar(self, shown: Sequence[str], *, owners: list, teams: list) -> forms.Form:
        """The bar, with a select of ``owners`` and one of ``teams`` when there is a choice to make.

        The team select also stays while a team filters the list, so that it can be cleared.
        """
        hidden = set()
        if not owners:
            hidden.add("owner")
        if len(teams) < 2 and "team" not in self.applied:
            hidden.add("team")
        return self.bar(
            [n for n in shown if n not in hidden],
            owner=[(u.pk, display_name(u)) for u in owners],
            team=[(t.pk, t.name) for t in teams],
        )
