"""The customer book: the customer list with open deals, and the customer page with its contacts,
deals, sales and timeline. Composed here because deals live here; the customers app keeps the forms.

Customers and contacts are loaded through ``visible_to(user)``: another rep's customer is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.htmx import wants_fragment
from crm.shortcuts import get_visible_or_404
from customers.forms import ContactForm
from customers.models import Customer
from history.readable import history_for
from people.models import Team
from people.visibility import is_manager_or_admin, visible_people
from sales.filters.chips import hidden_filters
from sales.filters.customers import CustomerFilterSet
from sales.forms import ActivityForm
from sales.models import Deal, SalesRecord
from sales.recommend.store import suggestions_for
from sales.sorting import sort_columns
from sales.timeline import customer_timeline

PAGE_SIZE = 25
RECORDS_SHOWN = 20

# The customer list's columns: (sort key, label, right-aligned?).
COLUMNS = (
    ("name", gettext_lazy("Customer"), False),
    ("industry", gettext_lazy("Industry"), False),
    ("region", gettext_lazy("Region"), False),
    ("channel", gettext_lazy("Channel"), False),
    ("owner", gettext_lazy("Owner"), False),
    ("need", gettext_lazy("Need"), True),
)
# The filter bar, in order; the owner and team selects only for those who see others' customers.
BAR = ("q", "region", "channel", "industry", "kind", "owner", "team")
# Set by the dashboard's drill-down from R (the customers with a need), shown as a chip.
CHIPS = ("has_need",)


# The bar's text filters that offer the values present among the customers the user can see.
SUGGESTED = {"region": "region", "channel": "channel", "industry": "industry"}


def _columns(sort: str, show_owner: bool) -> list[dict]:
    return sort_columns(COLUMNS, sort, show_owner=show_owner)


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = CustomerFilterSet(request.GET, Customer.objects.visible_to(user))
    paginator = Paginator(filters.qs.select_related("owner"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # Counting open deals for this page only keeps the paginator's COUNT free of a join and GROUP BY.
    open_deals = dict(
        Deal.objects.visible_to(user)
        .open()
        .filter(customer__in=[c.pk for c in rows])
        .values_list("customer")
        .annotate(n=Count("pk"))
    )
    for customer in rows:
        customer.open_deals = open_deals.get(customer.pk, 0)
    assign = is_manager_or_admin(user)
    owners = list(visible_people(user)) if assign else []
    teams = list(Team.objects.visible_to(user)) if assign else []
    context = {
        "page": page,
        "customers": rows,
        "filters": filters,
        "owners": owners,
        "bar": CustomerFilterSet.suggested(
            request,
            filters.owner_team_bar(BAR, owners=owners, teams=teams),
            Customer.objects.visible_to(user),
            SUGGESTED,
        ),
        "columns": _columns(filters.applied.get("sort", ""), assign),
        "show_owner": assign,
        "filtered": any(k != "sort" for k in filters.applied),
        "hidden_filters": hidden_filters(request, filters, CHIPS),
    }
    template = "sales/partials/customer_table.html" if wants_fragment(request) else "sales/customer_list.html"
    return render(request, template, context)


def _detail_context(request: HttpRequest, customer: Customer, **extra) -> dict:
    records = SalesRecord.objects.visible_to(request.user).filter(customer=customer)
    context = {
        "customer": customer,
        "contacts": list(customer.contacts.all()),
        "deals": list(
            Deal.objects.visible_to(request.user)
            .filter(customer=customer)
            .select_related("stage", "owner")
            .order_by("status", "-opened_on", "-pk")
        ),
        "records": list(
            records.select_related("product", "deal").order_by("-sold_on", "-pk")[:RECORDS_SHOWN]
        ),
        "record_totals": records.aggregate(count=Count("pk"), amount=Sum("amount")),
        "timeline": customer_timeline(customer, user=request.user),
        "suggestions": suggestions_for(customer, user=request.user, today=timezone.localdate()),
        "history": history_for(customer, user=request.user, known=[customer.owner]),
        "contact_form": ContactForm(auto_id="contact_%s", autofocus=False),
        "activity_form": ActivityForm(user=request.user, customer=customer, auto_id="act_%s"),
        "records_shown": RECORDS_SHOWN,
        "now": timezone.now(),
    }
    context.update(extra)
    return context


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_visible_or_404(Customer.objects.select_related("owner"), request.user, pk=pk)
    return render(request, "sales/customer_detail.html", _detail_context(request, customer))


def _contacts_response(request: HttpRequest, customer: Customer, form: ContactForm | None = None):
    if wants_fragment(request):
        context = {
            "customer": customer,
            "contacts": list(customer.contacts.all()),
            "contact_form": form or ContactForm(auto_id="contact_%s", autofocus=False),
        }
        return render(request, "customers/partials/contacts.html", context)
    if form is not None:
        context = _detail_context(request, customer, contact_form=form)
        return render(request, "sales/customer_detail.html", context)
    return redirect(customer)


@require_POST
@login_required
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_visible_or_404(Customer.objects.select_related("owner"), request.user, pk=pk)
    form = ContactForm(request.POST, auto_id="contact_%s")
    if not form.is_valid():
        return _contacts_response(request, customer, form)
    contact = form.save(commit=False)
    contact.customer = customer
    contact.save()
    if not wants_fragment(request):
        messages.success(request, _("Contact “%(name)s” added.") % {"name": contact.name})
    return _contacts_response(request, customer)


@require_POST
@login_required
def customer_log_activity(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_visible_or_404(Customer.objects.select_related("owner"), request.user, pk=pk)
    form = ActivityForm(request.POST, user=request.user, customer=customer, auto_id="act_%s")
    if form.is_valid():
        form.save()
        form = ActivityForm(user=request.user, customer=customer, auto_id="act_%s")
        if not wants_fragment(request):
            messages.success(request, _("Activity logged."))
            return redirect(customer)
    if not wants_fragment(request):
        return render(
            request, "sales/customer_detail.html", _detail_context(request, customer, activity_form=form)
        )
    context = {
        "customer": customer,
        "timeline": customer_timeline(customer, user=request.user),
        "activity_form": form,
        "now": timezone.now(),
    }
    return render(request, "sales/partials/customer_activity.html", context)
