"""Query-string filters of the API lists that have no page of their own.

Deals, customers and sales records use the same filter functions as their pages and exports.
"""

import datetime

from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from customers.models import Customer
from sales.filters import MAX_ID, RISKS, CustomerFilterForm, DealFilterForm, clean_filters
from sales.models import Activity, Deal, SalesPlan


def _text(**kwargs) -> forms.CharField:
    return forms.CharField(required=False, max_length=200, **kwargs)


def _id() -> forms.IntegerField:
    return forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class UTCDateTimeField(forms.DateTimeField):
    """A datetime given in UTC, whatever offset it was written with.

    PostgreSQL refuses unusual offsets (such as -19:20) in a query, and one far from UTC near the
    first or last representable day overflows; both are dropped as invalid filter values.
    """

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(datetime.UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class ContactFilterForm(forms.Form):
    q = _text()
    customer = _id()


class ActivityFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=Activity.Kind.choices)
    deal = _id()
    customer = _id()
    owner = _id()
    done = forms.NullBooleanField(required=False)
    due_after = UTCDateTimeField(required=False)
    due_before = UTCDateTimeField(required=False)


class PlanFilterForm(forms.Form):
    scope = forms.ChoiceField(required=False, choices=SalesPlan.Scope.choices)
    team = _id()
    rep = _id()
    covers = forms.DateField(required=False)


def _no_nul(text: str) -> str:
    return text.replace("\x00", "").strip()


def filter_contacts(qs: QuerySet, params) -> QuerySet:
    f = clean_filters(ContactFilterForm, params)
    if f.get("q"):
        q = _no_nul(f["q"])
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q))
    if "customer" in f:
        qs = qs.filter(customer_id=f["customer"])
    return qs


def filter_activities(qs: QuerySet, params) -> QuerySet:
    f = clean_filters(ActivityFilterForm, params)
    for key, lookup in (
        ("kind", "kind"),
        ("deal", "deal_id"),
        ("customer", "customer_id"),
        ("owner", "owner_id"),
        ("due_after", "due_at__gte"),
        ("due_before", "due_at__lt"),
    ):
        if key in f:
            qs = qs.filter(**{lookup: f[key]})
    if "done" in f:
        qs = qs.filter(done_at__isnull=not f["done"])
    return qs


def filter_plans(qs: QuerySet, params) -> QuerySet:
    f = clean_filters(PlanFilterForm, params)
    for key, lookup in (("scope", "scope"), ("team", "team_id"), ("rep", "rep_id")):
        if key in f:
            qs = qs.filter(**{lookup: f[key]})
    if "covers" in f:
        qs = qs.filter(period_start__lte=f["covers"], period_end__gte=f["covers"])
    return qs


def _param(name: str, type_=OpenApiTypes.STR, description: str = "", enum=None) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=description, enum=enum)


CONTACT_PARAMETERS = [
    _param("q", description="Text in the name, email or phone."),
    _param("customer", OpenApiTypes.INT),
]
ACTIVITY_PARAMETERS = [
    _param("kind", enum=Activity.Kind.values),
    _param("deal", OpenApiTypes.INT),
    _param("customer", OpenApiTypes.INT),
    _param("owner", OpenApiTypes.INT),
    _param("done", OpenApiTypes.BOOL),
    _param("due_after", OpenApiTypes.DATETIME),
    _param("due_before", OpenApiTypes.DATETIME),
]
PLAN_PARAMETERS = [
    _param("scope", enum=SalesPlan.Scope.values),
    _param("team", OpenApiTypes.INT),
    _param("rep", OpenApiTypes.INT),
    _param("covers", OpenApiTypes.DATE, "Plans whose period includes this day."),
]
SALES_RECORD_PARAMETERS = [
    _param("q", description="Text in the customer, product or note."),
    _param("owner", OpenApiTypes.INT),
    _param("customer", OpenApiTypes.INT),
    _param("product", OpenApiTypes.INT),
    _param("category", description="Product category."),
    _param("region", description="Customer region."),
    _param("channel", description="Customer channel."),
    _param("start", OpenApiTypes.DATE, "Sold on or after."),
    _param("end", OpenApiTypes.DATE, "Sold on or before."),
]


def _choices(form_class: type[forms.Form], name: str) -> list[str]:
    return [value for value, _label in form_class.base_fields[name].choices if value]


# The parameters of sales.filters.filter_deals / filter_customers, the same as the list pages'.
DEAL_PARAMETERS = [
    _param("q", description="Text in the title or customer name."),
    _param("status", enum=Deal.Status.values),
    OpenApiParameter(
        "stage",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        many=True,
        explode=True,
        description="Stage key; repeat for several stages.",
    ),
    _param("owner", OpenApiTypes.INT),
    _param("team", OpenApiTypes.INT, "Deals owned by the team's members and manager."),
    _param("customer", OpenApiTypes.INT),
    _param("region", description="The customer's region."),
    _param("channel"),
    _param("category", description="Product category."),
    _param("closed_from", OpenApiTypes.DATE),
    _param("closed_to", OpenApiTypes.DATE),
    _param("close_from", OpenApiTypes.DATE, "Expected close on or after."),
    _param("close_to", OpenApiTypes.DATE, "Expected close on or before."),
    _param("opened_from", OpenApiTypes.DATE),
    _param("opened_to", OpenApiTypes.DATE),
    _param("reached", description="Deals that ever reached this stage key."),
    _param("risk", enum=list(RISKS)),
    _param(
        "sort",
        enum=_choices(DealFilterForm, "sort"),
        description="A column; '-' for descending.",
    ),
]
CUSTOMER_PARAMETERS = [
    _param("q", description="Text in the name, email, phone or industry."),
    _param("owner", OpenApiTypes.INT),
    _param("team", OpenApiTypes.INT),
    _param("region"),
    _param("channel"),
    _param("industry"),
    _param("kind", enum=Customer.Kind.values),
    _param(
        "sort",
        enum=_choices(CustomerFilterForm, "sort"),
        description="A column; '-' for descending.",
    ),
]
