"""The contact page: who the person is, the deals that name them and the activities on those deals.

Composed here because deals live here; the customers app keeps the contact form. A contact of a
customer the user may not see is a 404, and so are deals and activities of other reps.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from crm.shortcuts import get_visible_or_404
from customers.models import Contact
from sales.models import Activity, Deal
from sales.timeline import TimelineEntry, activity_time

ACTIVITIES_SHOWN = 100


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_visible_or_404(Contact.objects.select_related("customer"), request.user, pk=pk)
    deals = list(
        Deal.objects.visible_to(request.user)
        .filter(contact=contact)
        .select_related("stage", "owner")
        .order_by("status", "-opened_on", "-pk")
    )
    activities = (
        Activity.objects.filter(deal__in=[d.pk for d in deals])
        .select_related("owner", "deal")
        .order_by("-created_at", "-pk")[:ACTIVITIES_SHOWN]
    )
    timeline = sorted(
        (TimelineEntry(activity_time(a), "activity", a) for a in activities),
        key=lambda e: e.when,
        reverse=True,
    )
    context = {
        "contact": contact,
        "customer": contact.customer,
        "deals": deals,
        "timeline": timeline,
        "now": timezone.now(),
        "today": timezone.localdate(),
    }
    return render(request, "sales/contact_detail.html", context)
