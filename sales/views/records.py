"""The sales-record list: realised sales, filtered and paginated, with their exports."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.htmx import wants_fragment
from people.visibility import visible_people
from sales.models import SalesRecord
from sales.record_filters import SalesRecordFilterForm, filter_sales_records

PAGE_SIZE = 50


def _owner_choices(user) -> list:
    """The people whose records ``user`` sees; a rep sees only themselves, so gets no choice."""
    users = list(
        visible_people(user, include_inactive=True).only("pk", "first_name", "last_name", "username")
    )
    return users if len(users) > 1 else []


@login_required
def salesrecord_list(request: HttpRequest) -> HttpResponse:
    form = SalesRecordFilterForm(request.GET)
    records = filter_sales_records(SalesRecord.objects.visible_to(request.user), request.GET)
    totals = records.aggregate(amount=Sum("amount"), count=Count("pk"))
    paginator = Paginator(
        records.select_related("customer", "owner", "product").order_by("-sold_on", "-pk"), PAGE_SIZE
    )
    # The totals already counted the rows; reusing that saves the paginator its own COUNT query.
    paginator.count = totals["count"]
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "records": list(page.object_list),
        "totals": totals,
        "owners": _owner_choices(request.user),
        "selected_owner": form.cleaned_data.get("owner") if form.is_valid() else None,
    }
    if wants_fragment(request):
        return render(request, "sales/partials/salesrecord_table.html", context)
    return render(request, "sales/salesrecord_list.html", context)
