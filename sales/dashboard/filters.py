"""The dashboard's filter bar: the period presets and the scope a user may pick."""

import datetime

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from people.models import Team
from people.names import display_name
from people.visibility import is_admin, is_manager_or_admin, visible_people
from sales.metrics import Scope
from sales.metrics.scope import add_months
from sales.models import Product

PERIODS = [
    ("month", _("This month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Custom range")),
]


# The metrics walk months and day bounds; dates far outside business history only overflow.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2200, 12, 31)
DATE_BOUNDS = [MinValueValidator(EARLIEST), MaxValueValidator(LATEST)]


def preset_period(name: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar month, quarter or year around ``today``."""
    if name == "month":
        start = today.replace(day=1)
        return start, add_months(start, 1) - datetime.timedelta(days=1)
    if name == "year":
        return datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    start = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return start, add_months(start, 3) - datetime.timedelta(days=1)


class DashboardFilterForm(forms.Form):
    """The filter bar; its options are limited to what the user may see, and bad values are dropped."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=DATE_BOUNDS,
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=DATE_BOUNDS
    )
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    owner = forms.TypedChoiceField(label=_("Rep"), coerce=int, required=False, empty_value=None)
    region = forms.ChoiceField(label=_("Region"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    category = forms.ChoiceField(label=_("Product category"), required=False)
    product = forms.TypedChoiceField(label=_("Product"), coerce=int, required=False, empty_value=None)

    def __init__(self, data: QueryDict, *, user, today: datetime.date, sources):
        self.user, self.today = user, today
        self.sees_others = is_manager_or_admin(user)
        teams = list(Team.objects.visible_to(user).values_list("pk", "name")) if self.sees_others else []
        data = data.copy()
        data.setdefault("period", "quarter")
        if "team" not in data and len(teams) == 1 and not is_admin(user):
            # A manager of one team starts on it, so the team's plan is the one the cards use.
            data["team"] = str(teams[0][0])
        super().__init__(data)
        for name, field in self.fields.items():
            css = "form-control form-control-sm" if name in ("start", "end") else "form-select form-select-sm"
            field.widget.attrs["class"] = css
        self.fields["team"].choices = [("", _("All teams")), *teams]
        self.fields["owner"].choices = [("", _("All reps")), *self._owner_choices()]
        pairs = list(sources.customers.order_by().values_list("region", "channel").distinct())
        regions = sorted({r for r, _ in pairs if r})
        channels = sorted({c for _, c in pairs if c})
        # One query for both product choices: the products by name, and the categories they name.
        products = list(
            Product.objects.visible_to(self.user).order_by("name", "pk").values_list("pk", "name", "category")
        )
        categories = sorted({c for _, _, c in products if c})
        self.fields["region"].choices = [("", _("All regions")), *((r, r) for r in regions)]
        self.fields["channel"].choices = [("", _("All channels")), *((c, c) for c in channels)]
        self.fields["category"].choices = [
            ("", _("All categories")),
            *((c, c) for c in categories),
        ]
        self.fields["product"].choices = [("", _("All products")), *((pk, name) for pk, name, _ in products)]

    def _owner_choices(self) -> list[tuple[int, str]]:
        if not self.sees_others:
            return []
        return [(u.pk, display_name(u)) for u in visible_people(self.user)]

    def scope(self) -> Scope:
        self.is_valid()
        data = self.cleaned_data
        period = data.get("period") or "quarter"
        start, end = preset_period(period, self.today)
        if period == "custom" and data.get("start") and data.get("end"):
            start, end = sorted((data["start"], data["end"]))
        if not self.sees_others:
            return Scope(start, end, owner_id=self.user.pk, **self._texts())
        return Scope(start, end, team_id=data.get("team"), owner_id=data.get("owner"), **self._texts())

    def _texts(self) -> dict:
        texts = {k: self.cleaned_data.get(k) or "" for k in ("region", "channel", "category")}
        return {**texts, "product_id": self.cleaned_data.get("product")}
