"""Activities: the list of what is overdue, due today and coming up; logging, editing and completing."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.htmx import wants_fragment
from customers.models import Customer
from history.versions import StaleVersion
from people.names import display_name
from people.visibility import is_manager_or_admin, visible_people
from sales.filters.activities import ActivityFilterSet
from sales.forms import ActivityDoneForm, ActivityForm
from sales.metrics import day_bounds
from sales.models import Activity, Deal

SECTION_LIMIT = 25
DONE_DAYS = 7


def visible_activities(user):
    return Activity.objects.visible_to(user).select_related("owner", "deal", "customer")


def _owner_filter(request: HttpRequest) -> tuple[int | None, list]:
    """Reps see their own activities. Managers and admins start on everyone they can see (their
    team's overdue work first), with their own ("Mine") or one person's a pick away."""
    if not is_manager_or_admin(request.user):
        return request.user.pk, []
    people = list(visible_people(request.user))
    raw = request.GET.get("owner", "")
    if raw.isdigit() and any(p.pk == int(raw) for p in people):
        return int(raw), people
    return None, people


def _filters(request: HttpRequest) -> tuple[ActivityFilterSet, list]:
    """The list's filters, on the owner settled above (none for "all"), and the people to pick from.

    The other parameters are the API's, so the page and ``/api/activities/`` agree on a query string.
    """
    owner_id, people = _owner_filter(request)
    data = request.GET.copy()
    data.pop("owner", None)
    if owner_id is not None:
        data["owner"] = str(owner_id)
    return ActivityFilterSet(data, visible_activities(request.user)), people


def _whose(request: HttpRequest, filters: ActivityFilterSet, people: list) -> forms.Form | None:
    """The "whose" select, for those who may look at other people's activities."""
    if not people:
        return None
    choices = [("all", _("Everyone I can see"))]
    choices += [(p.pk, _("Mine") if p.pk == request.user.pk else display_name(p)) for p in people]
    bar = filters.bar(["owner"], owner=choices)
    # "all" filters nothing, so it is not among the applied values; the select still shows it picked.
    bar.initial.setdefault("owner", "all")
    return bar


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    filters, people = _filters(request)
    now = timezone.now()
    today = timezone.localdate()
    start, end = day_bounds(today, today)
    qs = filters.qs
    sections = [
        ("overdue", _("Overdue"), qs.overdue(now).filter(due_at__lt=start).order_by("due_at", "pk")),
        ("today", _("Today"), qs.due_between(start, end).order_by("due_at", "pk")),
        ("upcoming", _("Upcoming"), qs.pending().filter(due_at__gte=end).order_by("due_at", "pk")),
        (
            "done",
            _("Done in the last %(n)s days") % {"n": DONE_DAYS},
            qs.done().filter(done_at__gte=now - datetime.timedelta(days=DONE_DAYS)).order_by("-done_at"),
        ),
    ]
    context = {
        "sections": [
            {"key": key, "title": title, "items": list(items[:SECTION_LIMIT])}
            for key, title, items in sections
        ],
        "people": people,
        "bar": _whose(request, filters, people),
        "limit": SECTION_LIMIT,
        "now": now,
    }
    return render(request, "sales/activity_list.html", context)


def _preset(request: HttpRequest) -> dict:
    """``?deal=`` / ``?customer=`` / ``?kind=`` preselect choices, if the user may see them."""
    initial = {}
    deal_id, customer_id = request.GET.get("deal", ""), request.GET.get("customer", "")
    if deal_id.isdigit():
        deal = Deal.objects.visible_to(request.user).filter(pk=deal_id).first()
        if deal is not None:
            initial.update(deal=deal.pk, customer=deal.customer_id)
    if (
        customer_id.isdigit()
        and "customer" not in initial
        and Customer.objects.visible_to(request.user).filter(pk=customer_id).exists()
    ):
        initial["customer"] = int(customer_id)
    if request.GET.get("kind") in Activity.Kind.values:
        initial["kind"] = request.GET["kind"]
        if initial["kind"] == Activity.Kind.TASK:
            initial["done"] = False
    return initial


def _next_url(request: HttpRequest, default: str) -> str:
    # Only a page of this site: ``next`` also becomes the form's Cancel link, where a
    # ``javascript:`` URL would run in the user's session.
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
def activity_create(request: HttpRequest) -> HttpResponse:
    form = ActivityForm(request.POST or None, user=request.user, initial=_preset(request), autofocus=True)
    if request.method == "POST" and form.is_valid():
        activity = form.save()
        messages.success(request, _("Saved: %(subject)s") % {"subject": activity.subject})
        default = (
            activity.deal.get_absolute_url() if activity.deal_id else activity.customer.get_absolute_url()
        )
        return redirect(_next_url(request, default))
    context = {"form": form, "activity": None, "next_url": _next_url(request, "")}
    return render(request, "sales/activity_form.html", context)


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(visible_activities(request.user), pk=pk)
    form = ActivityForm(request.POST or None, user=request.user, instance=activity, autofocus=True)
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except StaleVersion as stale:
            context = {
                "form": form,
                "activity": stale.current,
                "next_url": _next_url(request, ""),
                "stale_lines": form.stale(stale.current),
            }
            return render(request, "sales/activity_form.html", context, status=409)
        messages.success(request, _("Saved: %(subject)s") % {"subject": activity.subject})
        return redirect(_next_url(request, "sales:activity_list"))
    context = {"form": form, "activity": activity, "next_url": _next_url(request, "")}
    return render(request, "sales/activity_form.html", context)


@require_POST
@login_required
def activity_done(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(visible_activities(request.user), pk=pk)
    form = ActivityDoneForm(request.POST)
    if form.is_valid() and not activity.is_done:
        activity.complete(outcome=form.cleaned_data["outcome"])
    if wants_fragment(request):
        context = {"a": activity, "now": timezone.now(), "show_link": request.POST.get("show_link") == "1"}
        response = render(request, "sales/partials/activity_item.html", context)
        # Pages that count activities (My day's counters) listen for this and refresh their figures.
        response["HX-Trigger"] = "activity-done"
        return response
    messages.success(request, _("Done: %(subject)s") % {"subject": activity.subject})
    return redirect(_next_url(request, "sales:activity_list"))
