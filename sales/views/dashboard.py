"""The manager dashboard: the metrics of ``sales.metrics`` over a scope the user picks and may see."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from crm.htmx import wants_fragment
from sales.dashboard.cache import cached_overview
from sales.dashboard.cards import dashboard_context
from sales.dashboard.filters import DashboardFilterForm
from sales.dashboard.links import Links
from sales.metrics import pipeline_weights, visible_sources


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    sources = visible_sources(request.user)
    form = DashboardFilterForm(request.GET, user=request.user, today=today, sources=sources)
    scope = form.scope()
    fresh = request.GET.get("fresh") == "1"
    weights = pipeline_weights(today)
    data, computed_at = cached_overview(request.user, sources, scope, today, fresh=fresh, weights=weights)
    is_rep = not form.sees_others
    refresh = request.GET.copy()
    refresh["fresh"] = "1"
    context = {
        "form": form,
        "computed_at": computed_at,
        "cache_on": getattr(settings, "CRM_DASHBOARD_CACHE_SECONDS", 0) > 0,
        "refresh_url": f"{request.path}?{refresh.urlencode()}",
        **dashboard_context(data, Links(scope, is_rep), is_rep, today),
    }
    if wants_fragment(request, "dashboard-body"):
        return render(request, "sales/partials/dashboard_body.html", context)
    return render(request, "sales/dashboard.html", context)
