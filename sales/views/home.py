"""My day: the rep's home page - today's tasks, overdue tasks and their deals that need attention."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from people.visibility import is_manager_or_admin
from sales.metrics import day_bounds, flag, overdue_q, slipped_q, stale_q
from sales.models import Activity, Deal
from sales.recommend.store import strongest_for

LIMIT = 25


@login_required
def my_day(request: HttpRequest) -> HttpResponse:
    user, now, today = request.user, timezone.now(), timezone.localdate()
    start, end = day_bounds(today, today)
    # A rep's day is their own work. A manager's starts on the team's (everyone they can see), with
    # their own one click away (?whose=mine).
    team_view = is_manager_or_admin(user) and request.GET.get("whose") != "mine"
    mine = Activity.objects.visible_to(user).select_related("deal", "customer", "owner")
    deals = Deal.objects.visible_to(user).open()
    if not team_view:
        mine, deals = mine.filter(owner=user), deals.filter(owner=user)
    stale, overdue, slipped = stale_q(today, settings.CRM_STALE_DAYS), overdue_q(today), slipped_q()
    attention = (
        deals.filter(stale | overdue | slipped)
        .annotate(is_stale=flag(stale), is_overdue=flag(overdue), is_slipped=flag(slipped))
        .select_related("customer", "stage", "owner")
        .order_by("expected_close", "-amount", "pk")
    )
    context = {
        "today_tasks": list(mine.due_between(start, end).order_by("due_at", "pk")[:LIMIT]),
        "overdue_tasks": list(mine.overdue(start).order_by("due_at", "pk")[:LIMIT]),
        "attention": list(attention[:LIMIT]),
        "pipeline": deals.aggregate(count=Count("pk"), amount=Sum("amount")),
        "done_today": mine.done().filter(done_at__gte=start, done_at__lt=end).count(),
        "suggested_customers": strongest_for(user),
        "limit": LIMIT,
        "team_view": team_view,
        "can_see_team": is_manager_or_admin(user),
        "now": now,
        "today": today,
        "stale_days": settings.CRM_STALE_DAYS,
    }
    return render(request, "sales/my_day.html", context)
