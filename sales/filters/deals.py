"""The deal list's filters, also those the dashboard's drill-down links set (sales.dashboard.links)."""

import datetime

import django_filters
from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.filters import DayFilter, IdFilter, KnownChoicesFilter, SearchFilter, SortFilter, TextFilter
from sales.filters.owners import OwnerTeamFilterSet
from sales.metrics import overdue_q, slipped_q, stale_q
from sales.models import Deal, Stage, StageChange

RISKS = {
    "stale": _("No activity lately"),
    "overdue": _("Past expected close"),
    "slipped": _("Close date pushed back"),
}

# The sortable columns: parameter value -> ordering expression(s).
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


class DealFilterSet(OwnerTeamFilterSet):
    """Deals by text, stage, status, owner, team, dates, customer and risk; unknown stage keys are
    ignored like any other value that does not make sense."""

    q = SearchFilter(
        label=_("Search"),
        help_text=_("Text in the title or customer name."),
        widget=forms.SearchInput(attrs={"placeholder": _("Deal or customer"), "autofocus": True}),
    )
    stage = KnownChoicesFilter(
        field_name="stage__key", label=_("Stage"), help_text=_("Stage key; repeat for several stages.")
    )
    status = django_filters.ChoiceFilter(
        choices=Deal.Status.choices, label=_("Status"), empty_label=_("Any status")
    )
    close_from = DayFilter(
        field_name="expected_close",
        lookup_expr="gte",
        label=_("Closing from"),
        help_text=_("Expected close on or after."),
    )
    close_to = DayFilter(
        field_name="expected_close",
        lookup_expr="lte",
        label=_("Closing until"),
        help_text=_("Expected close on or before."),
    )
    risk = django_filters.ChoiceFilter(
        method="filter_risk", choices=list(RISKS.items()), label=_("Risk"), empty_label=_("Any")
    )
    # No control on the list for these: the dashboard's drill-down links set them.
    customer = IdFilter(label=_("Customer"))
    region = TextFilter(
        field_name="customer__region",
        lookup_expr="iexact",
        label=_("Region"),
        help_text=_("The customer's region."),
    )
    channel = TextFilter(lookup_expr="iexact", label=_("Channel"))
    category = TextFilter(field_name="product__category", lookup_expr="iexact", label=_("Product category"))
    product = IdFilter(label=_("Product"))
    opened_from = DayFilter(field_name="opened_on", lookup_expr="gte", label=_("Opened from"))
    opened_to = DayFilter(field_name="opened_on", lookup_expr="lte", label=_("Opened until"))
    closed_from = DayFilter(field_name="closed_on", lookup_expr="gte", label=_("Closed from"))
    closed_to = DayFilter(field_name="closed_on", lookup_expr="lte", label=_("Closed until"))
    lost_reason = IdFilter(label=_("Lost reason"), help_text=_("The id of the reason deals were lost for."))
    reached = django_filters.ChoiceFilter(
        method="filter_reached",
        label=_("Reached stage"),
        help_text=_("Deals that ever reached this stage key."),
    )
    sort = SortFilter(
        DEAL_SORTS,
        default=("-opened_on", "-pk"),
        label=_("Sort"),
        help_text=_("A column; '-' for descending."),
    )

    def __init__(
        self,
        data: QueryDict | None = None,
        queryset: QuerySet | None = None,
        *,
        request=None,
        prefix: str | None = None,
        stages: list[Stage] | None = None,
        today: datetime.date | None = None,
        stale_days: int | None = None,
    ):
        """``stages`` saves a query when the caller already loaded them; ``today`` and ``stale_days``
        (the risk filter's) default to the business day and the CRM's setting."""
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.today = today or timezone.localdate()
        self.stale_days = settings.CRM_STALE_DAYS if stale_days is None else stale_days
        if stages is None:
            stages = list(Stage.objects.all())
        options = [(s.key, f"{s.order}. {s.display_name}") for s in stages]
        self.filters["stage"].field.choices = [("", _("Any stage")), *options]
        self.filters["reached"].field.choices = options

    def filter_risk(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The same definitions as the dashboard's risk counts, so a count and its list agree.
        if value == "stale":
            return queryset.filter(stale_q(self.today, self.stale_days))
        if value == "overdue":
            return queryset.filter(overdue_q(self.today))
        return queryset.filter(slipped_q())

    def filter_reached(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        moves = StageChange.objects.filter(to_stage__key=value).values("deal_id")
        return queryset.filter(pk__in=moves)
