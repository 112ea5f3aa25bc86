"""The sales-record list: realised sales, filtered and paginated, with their exports."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.htmx import wants_fragment
from people.names import display_name
from people.visibility import visible_people
from sales.filters.chips import hidden_filters
from sales.filters.records import SalesRecordFilterSet
from sales.models import SalesRecord

PAGE_SIZE = 50
# The filter bar, in order; the owner select only for those who see other people's sales.
BAR = ("q", "start", "end", "owner", "region", "channel", "category")
# Filters without a control on the list (they arrive from the dashboard's links), shown as chips.
CHIPS = ("product", "customer")

# The bar's text filters that offer the values present among the records the user can see.
SUGGESTED = {"region": "customer__region", "channel": "customer__channel", "category": "product__category"}


def _owner_choices(user) -> list:
    """The people whose records ``user`` sees; a rep sees only themselves, so gets no choice."""
    users = list(
        visible_people(user, include_inactive=True).only("pk", "first_name", "last_name", "username")
    )
    return users if len(users) > 1 else []


@login_required
def salesrecord_list(request: HttpRequest) -> HttpResponse:
    filters = SalesRecordFilterSet(request.GET, SalesRecord.objects.visible_to(request.user))
    totals = filters.qs.aggregate(amount=Sum("amount"), count=Count("pk"))
    paginator = Paginator(
        filters.qs.select_related("customer", "owner", "product").order_by("-sold_on", "-pk"), PAGE_SIZE
    )
    # The totals already counted the rows; reusing that saves the paginator its own COUNT query.
    paginator.count = totals["count"]
    page = paginator.get_page(request.GET.get("page"))
    owners = _owner_choices(request.user)
    shown = [n for n in BAR if n != "owner" or owners]
    bar = filters.bar(shown, owner=[(u.pk, display_name(u)) for u in owners])
    bar = filters.suggested(request, bar, SalesRecord.objects.visible_to(request.user), SUGGESTED)
    context = {
        "bar": bar,
        "page": page,
        "records": list(page.object_list),
        "totals": totals,
        "owners": owners,
        "filters": filters,
        "filtered": bool(filters.applied),
        "hidden_filters": hidden_filters(request, filters, CHIPS),
    }
    if wants_fragment(request):
        return render(request, "sales/partials/salesrecord_table.html", context)
    return render(request, "sales/salesrecord_list.html", context)
