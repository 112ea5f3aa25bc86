"""Filters of the deal and customer lists, shared by their pages, the dashboard's links and exports.

Values come straight from query strings, so a form parses them: a value that does not parse is
left out (and named in ``Filters.invalid``) instead of failing the request. The caller passes a
queryset it has already limited with ``visible_to(user)``; filters only ever narrow it.
"""

import datetime

from django import forms
from django.db.models import F, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from crm.filters import MAX_ID
from customers.models import Customer
from sales.metrics import overdue_q, slipped_q, stale_q
from sales.metrics.scope import team_owner_ids
from sales.models import Deal, Stage, StageChange


class Filters(dict):
    """The cleaned filter values that were applied; ``invalid`` names the parameters ignored."""

    def __init__(self, values: dict, invalid: list[str]):
        super().__init__(values)
        self.invalid: tuple[str, ...] = tuple(invalid)


def _text(label) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=200)


def _id(label) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=1, max_value=MAX_ID)


def _date(label) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


class FilterForm(forms.Form):
    """A list's filter parameters; values that do not parse are dropped, never a server error."""

    def clean(self) -> dict:
        data = super().clean()
        # NUL bytes are refused by PostgreSQL; nobody searches for them on purpose.
        return {k: v.replace("\x00", "").strip() if isinstance(v, str) else v for k, v in data.items()}


# The sortable columns of the deal list: parameter value -> ordering expression(s).
DEAL_SORTS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "customer": ("customer__name",),
    "owner": ("owner__first_name", "owner__last_name", "owner__username"),
    "amount": ("amount",),
    "stage": ("stage__order",),
    "probability": ("probability",),
    "status": ("status",),
    "opened_on": ("opened_on",),
    "expected_close": ("expected_close",),
    "closed_on": ("closed_on",),
}

CUSTOMER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "owner": ("owner__first_name", "owner__last_name", "owner__username"),
    "industry": ("industry",),
    "region": ("region",),
    "channel": ("channel",),
    "need": ("need",),
    "created_at": ("created_at",),
}

RISKS = {
    "stale": _("No activity lately"),
    "overdue": _("Past expected close"),
    "slipped": _("Close date pushed back"),
}


def _sort_choices(sorts: dict) -> list[tuple[str, str]]:
    return [(v, v) for key in sorts for v in (key, f"-{key}")]


class DealFilterForm(FilterForm):
    q = _text(_("Search"))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=Deal.Status.choices)
    owner = _id(_("Owner"))
    team = _id(_("Team"))
    customer = _id(_("Customer"))
    region = _text(_("Region"))
    channel = _text(_("Channel"))
    category = _text(_("Product category"))
    closed_from = _date(_("Closed from"))
    closed_to = _date(_("Closed until"))
    close_from = _date(_("Expected close from"))
    close_to = _date(_("Expected close until"))
    opened_from = _date(_("Opened from"))
    opened_to = _date(_("Opened until"))
    reached = forms.SlugField(label=_("Reached stage"), required=False, max_length=30)
    risk = forms.ChoiceField(label=_("Risk"), required=False, choices=list(RISKS.items()))
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=_sort_choices(DEAL_SORTS))


class CustomerFilterForm(FilterForm):
    q = _text(_("Search"))
    owner = _id(_("Owner"))
    team = _id(_("Team"))
    region = _text(_("Region"))
    channel = _text(_("Channel"))
    industry = _text(_("Industry"))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=Customer.Kind.choices)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=_sort_choices(CUSTOMER_SORTS))


def _clean(form_class: type[forms.Form], params: QueryDict) -> tuple[dict, list[str]]:
    form = form_class(params)
    form.is_valid()
    values = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    return values, sorted(form.errors)


def clean_filters(form_class: type[forms.Form], params) -> dict:
    """The values of ``params`` that parse, as cleaned data; the rest are dropped."""
    return _clean(form_class, params)[0]


def _ordering(sort: str | None, sorts: dict, default: tuple[str, ...]) -> list:
    """The ordering for ``sort``, nulls last either way, with the primary key to keep pages stable."""
    if not sort:
        return list(default)
    descending = sort.startswith("-")
    exprs = []
    for name in sorts[sort.lstrip("-")]:
        expr = F(name)
        exprs.append(expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True))
    return [*exprs, "-pk" if descending else "pk"]


def filter_deals(
    qs: QuerySet,
    params: QueryDict,
    *,
    user,
    today: datetime.date,
    stale_days: int,
    stage_keys: list[str] | None = None,
) -> tuple[QuerySet, Filters]:
    """Apply the deal list's filters and sort to ``qs`` (already limited to what ``user`` may see).

    ``stage_keys`` saves a query when the caller already loaded the stages; unknown stage keys (in
    ``stage`` or ``reached``) are ignored like any other invalid value. ``user`` is accepted so a
    filter may depend on who asks (the dashboard passes it); visibility itself is the caller's job.
    """
    values, invalid = _clean(DealFilterForm, params)
    if stage_keys is None:
        stage_keys = list(Stage.objects.values_list("key", flat=True))
    stages = [k for k in dict.fromkeys(params.getlist("stage")) if k]
    if stages:
        known = [k for k in stages if k in stage_keys]
        if len(known) < len(stages):
            invalid.append("stage")
        if known:
            values["stage"] = known
    if values.get("reached") and values["reached"] not in stage_keys:
        del values["reached"]
        invalid.append("reached")

    if "q" in values:
        qs = qs.search(values["q"])
    for key, lookup in (
        ("status", "status"),
        ("stage", "stage__key__in"),
        ("owner", "owner_id"),
        ("customer", "customer_id"),
        ("region", "customer__region__iexact"),
        ("channel", "channel__iexact"),
        ("category", "product__category__iexact"),
        ("closed_from", "closed_on__gte"),
        ("closed_to", "closed_on__lte"),
        ("close_from", "expected_close__gte"),
        ("close_to", "expected_close__lte"),
        ("opened_from", "opened_on__gte"),
        ("opened_to", "opened_on__lte"),
    ):
        if key in values:
            qs = qs.filter(**{lookup: values[key]})
    if "team" in values:
        qs = qs.filter(owner__in=team_owner_ids(values["team"]))
    if "reached" in values:
        moves = StageChange.objects.filter(to_stage__key=values["reached"]).values("deal_id")
        qs = qs.filter(pk__in=moves)
    risk = values.get("risk")
    if risk == "stale":
        # The same definitions as the dashboard's risk counts, so a count and its list agree.
        qs = qs.filter(stale_q(today, stale_days))
    elif risk == "overdue":
        qs = qs.filter(overdue_q(today))
    elif risk == "slipped":
        qs = qs.filter(slipped_q())
    qs = qs.order_by(*_ordering(values.get("sort"), DEAL_SORTS, ("-opened_on", "-pk")))
    return qs, Filters(values, sorted(set(invalid)))


def filter_customers(qs: QuerySet, params: QueryDict) -> tuple[QuerySet, Filters]:
    """Apply the customer list's filters and sort to ``qs`` (already limited with ``visible_to``)."""
    values, invalid = _clean(CustomerFilterForm, params)
    if "q" in values:
        qs = qs.search(values["q"])
    for key, lookup in (
        ("owner", "owner_id"),
        ("region", "region__iexact"),
        ("channel", "channel__iexact"),
        ("industry", "industry__iexact"),
        ("kind", "kind"),
    ):
        if key in values:
            qs = qs.filter(**{lookup: values[key]})
    if "team" in values:
        qs = qs.filter(owner__in=team_owner_ids(values["team"]))
    qs = qs.order_by(*_ordering(values.get("sort"), CUSTOMER_SORTS, ("name", "pk")))
    return qs, Filters(values, invalid)
