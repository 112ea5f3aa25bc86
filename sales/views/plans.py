"""The plans page: managers set each rep's or team's targets per period, in place; reps read theirs."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from crm.htmx import wants_fragment
from people.names import display_name
from people.visibility import is_manager_or_admin
from sales import planning
from sales.forms import PlanCellForm
from sales.planning import REP, TEAM, Cell, Window


def _page_url(window: Window, level: str, category: str) -> str:
    query = {**window.params(), "level": level, "category": category}
    return f"{reverse('sales:plans')}?{urlencode(query)}"


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    # Queries: session, user, role (groups, managed teams), the rows, the plans, the categories.
    user = request.user
    window = planning.window_from(request.GET, timezone.localdate())
    level, category = planning.level_from(request.GET), planning.category_from(request.GET)
    grid = planning.build_grid(user, window, level, category)
    context = {
        "grid": grid,
        "window": window,
        "categories": planning.categories(user),
        "years": range(window.year - 3, window.year + 4),
        "previous_url": _page_url(window.preceding(), level, category),
        "following_url": _page_url(window.following(), level, category),
        "following": window.following(),
        "can_plan": is_manager_or_admin(user),
    }
    if wants_fragment(request, "plan-grid"):
        return render(request, "sales/partials/plan_grid.html", context)
    return render(request, "sales/plans.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_rep_cell(request: HttpRequest, rep_id: int) -> HttpResponse:
    return _cell(request, REP, planning.rep_for_planning(request.user, rep_id))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_team_cell(request: HttpRequest, team_id: int) -> HttpResponse:
    return _cell(request, TEAM, planning.team_for_planning(request.user, team_id))


def _cell(request: HttpRequest, level: str, target) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    period, category = planning.period_from(params), planning.category_from(params)
    if period is None:
        return HttpResponseBadRequest(_("Choose a month, a quarter or a year for this plan."))
    window = planning.window_from(params, period.start)
    back = _page_url(window, level, category)
    plan = planning.find_cell_plan(level, target, period, category)
    cell = Cell(level, target.pk, period, category, plan, True, window)
    if request.method != "POST":
        if "view" in request.GET:
            return render(request, "sales/partials/plan_cell.html", {"cell": cell})
        initial = {}
        if plan is not None:
            fields = ("revenue_quota", "activities_quota", "target_ratio", "activity_ratio")
            initial = {name: getattr(plan, name) for name in fields}
        return _form(
            request, cell, PlanCellForm(initial=initial, auto_id=f"{cell.dom_id}-%s"), target, window, back
        )
    form = PlanCellForm(request.POST, auto_id=f"{cell.dom_id}-%s")
    if not form.is_valid():
        return _form(request, cell, form, target, window, back)
    planning.set_cell_plan(
        level=level, target=target, period=period, category=category, by=request.user, **form.cleaned_data
    )
    if not wants_fragment(request):
        messages.success(request, _("Plan saved."))
        return redirect(back)
    grid = planning.build_grid(request.user, window, level, category)
    row = next((r for r in grid.rows if r.pk == target.pk), None)
    saved = next((c for c in row.cells if c.period == period), None) if row else None
    context = {"cell": saved or cell, "grid": grid, "row": row, "column": None}
    if saved is not None:
        context["column"] = grid.columns[row.cells.index(saved)]
    return render(request, "sales/partials/plan_cell_saved.html", context)


def _form(request, cell: Cell, form: PlanCellForm, target, window: Window, back: str) -> HttpResponse:
    label = target.name if cell.level == TEAM else display_name(target)
    context = {"cell": cell, "form": form, "target": label, "window": window, "back": back}
    if wants_fragment(request):
        return render(request, "sales/partials/plan_cell_form.html", context)
    return render(request, "sales/plan_cell.html", context)


@login_required
@require_POST
def plan_copy_forward(request: HttpRequest) -> HttpResponse:
    if not is_manager_or_admin(request.user):
        raise PermissionDenied
    window = planning.window_from(request.POST, timezone.localdate())
    level, category = planning.level_from(request.POST), planning.category_from(request.POST)
    result = planning.copy_forward(window=window, level=level, category=category, by=request.user)
    copied = ngettext(
        "Copied %(count)s plan to %(into)s.", "Copied %(count)s plans to %(into)s.", result.copied
    ) % {"count": result.copied, "into": result.into.label}
    skipped = ngettext(
        "Skipped %(count)s that already had a plan.",
        "Skipped %(count)s that already had a plan.",
        result.skipped,
    ) % {"count": result.skipped}
    messages.success(request, f"{copied} {skipped}")
    return redirect(_page_url(result.into, level, category))
