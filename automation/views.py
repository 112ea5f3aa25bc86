from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from automation import trend
from automation.digests import read_unsubscribe_token
from automation.forms import ProfileForm
from automation.models import Heartbeat, Notification, Profile, Reminder
from automation.profiles import profile_of
from crm.shortcuts import get_visible_or_404
from dataio.models import ImportJob


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.visible_to(request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "automation/notification_list.html",
        {"page": page, "unread": rows.unread().count()},
    )


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go where it points."""
    notification = get_visible_or_404(Notification.objects, request.user, pk=pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("automation:notifications")
    return redirect(target)


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.visible_to(request.user).unread().update(read_at=timezone.now())
    return redirect("automation:notifications")


@never_cache
@login_required
def bell(request: HttpRequest) -> HttpResponse:
    """The top bar's bell with the number of unread notifications (fetched by htmx after the page)."""
    unread = Notification.objects.visible_to(request.user).unread().count()
    return render(request, "automation/bell.html", {"unread": unread})


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    profile = profile_of(request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your preferences have been saved."))
        return redirect("automation:preferences")
    return render(request, "automation/preferences.html", {"form": form}, status=400 if form.errors else 200)


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Turn an automatic email off from the link in it, without signing in.

    Opening the link only asks; the button (a POST) turns the email off, so a mail scanner that
    follows links turns nothing off.
    """
    found = read_unsubscribe_token(token)
    if found is None:
        return render(request, "automation/unsubscribe.html", {"invalid": True}, status=400)
    user_id, what = found
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return render(request, "automation/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        profile, _created = Profile.objects.get_or_create(user=user)
        setattr(profile, what, False)
        profile.save(update_fields=[what])
        return render(request, "automation/unsubscribe.html", {"done": True, "what": what})
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return render(request, "automation/unsubscribe.html", {"what": what})


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        return "down"


def _cache_state() -> str:
    from django.core.cache import cache

    try:
        cache.set("health-check", "1", 5)
        return "ok" if cache.get("health-check") == "1" else "down"
    except Exception:
        return "down"


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: each part's state, 503 when one is down or no worker runs.

    Counts and ages only: no names, no records.
    """
    now = timezone.now()
    parts: dict = {"database": _database_state(), "cache": _cache_state()}
    limit = settings.CRM_HEALTH_HEARTBEAT_SECONDS
    worker: dict = {"state": "down", "heartbeat_age_seconds": None, "threshold_seconds": limit}
    queue: dict = {}
    if parts["database"] == "ok":
        last = Heartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
        if last is not None:
            age = max(0, int((now - last).total_seconds()))
            worker.update(heartbeat_age_seconds=age, state="ok" if age <= limit else "stale")
        waiting = Reminder.objects.claimable(now)
        oldest = waiting.order_by("remind_at").values_list("remind_at", flat=True).first()
        queue = {
            "reminders_waiting": waiting.count(),
            "oldest_waiting_seconds": int((now - oldest).total_seconds()) if oldest else None,
            "imports_waiting": ImportJob.objects.claimable(now).count(),
            "reminders_failed": Reminder.objects.filter(state=Reminder.State.FAILED).count(),
        }
    parts["worker"] = worker
    parts["queue"] = queue
    healthy = parts["database"] == "ok" and parts["cache"] == "ok" and worker["state"] == "ok"
    return JsonResponse({"status": "ok" if healthy else "failing", **parts}, status=200 if healthy else 503)


@login_required
def pipeline_trend(request: HttpRequest) -> HttpResponse:
    """The open pipeline's trend and forecast accuracy in the user's scope (docs/metrics.md)."""
    today = timezone.localdate()
    data = trend.pipeline_trend(request.user, today=today)
    top = max((p.amount for p in data.points), default=0)
    return render(request, "automation/pipeline_trend.html", {"trend": data, "top": top})
