"""Deal pages: the filtered list, the detail page with its in-place actions, create and edit.

Every deal is loaded through ``Deal.objects.visible_to(user)`` (another rep's deal is a 404) and
changed only through the model verbs, so each change is versioned and recorded.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.forms import PICKER_LIMIT
from crm.htmx import wants_fragment
from crm.shortcuts import get_visible_or_404
from customers.models import Customer
from history.readable import history_for
from people.models import Team
from people.names import display_name
from people.visibility import is_manager_or_admin, visible_people
from sales.actions import create_deal
from sales.filters.chips import hidden_filters
from sales.filters.deals import DealFilterSet
from sales.forms import (
    EDITABLE,
    WATCHED,
    ActivityForm,
    DealCreateForm,
    DealEditForm,
    LostForm,
    MoveForm,
    ProbabilityForm,
    ReopenForm,
    VersionForm,
    deal_values,
    same_value,
    sign_values,
)
from sales.metrics.probabilities import pipeline_odds
from sales.models import Deal, DealError, LostReason, Stage, StaleEdit
from sales.prefill import product_initial
from sales.sorting import sort_columns
from sales.timeline import deal_timeline

PAGE_SIZE = 25

# The deal list's columns: (sort key or "", label, right-aligned?).
COLUMNS = (
    ("title", gettext_lazy("Deal"), False),
    ("customer", gettext_lazy("Customer"), False),
    ("stage", gettext_lazy("Stage"), False),
    ("owner", gettext_lazy("Owner"), False),
    ("amount", gettext_lazy("Amount"), True),
    ("probability", gettext_lazy("Prob."), True),
    ("expected_close", gettext_lazy("Expected close"), False),
    ("opened_on", gettext_lazy("Opened"), False),
)


# The filter bar, in order; the owner and team selects only for those who see others' deals.
BAR = ("q", "stage", "status", "owner", "team", "region", "channel", "close_from", "close_to", "risk")
# The bar's text filters that offer the values present among the deals the user can see.
SUGGESTED = {"region": "customer__region", "channel": "channel"}
# Filters without a control on the list (they arrive from the dashboard's links), shown as chips.
CHIPS = (
    "customer",
    "category",
    "product",
    "opened_from",
    "opened_to",
    "closed_from",
    "closed_to",
    "reached",
    "lost_reason",
)


def _columns(sort: str, show_owner: bool) -> list[dict]:
    return sort_columns(COLUMNS, sort, show_owner=show_owner)


@login_required
def deal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    stages = list(Stage.objects.all())
    filters = DealFilterSet(request.GET, Deal.objects.visible_to(user), stages=stages)
    # Open, won and lost amounts are different things; the line above the list sums each apart.
    totals = filters.qs.aggregate(
        count=Count("pk"),
        **{status: Sum("amount", filter=Q(status=status)) for status in Deal.Status.values},
    )
    paginator = Paginator(filters.qs.select_related("customer", "owner", "stage"), PAGE_SIZE)
    # The totals already counted the rows; reusing that saves the paginator its own COUNT query.
    paginator.count = totals["count"]
    page = paginator.get_page(request.GET.get("page"))
    assign = is_manager_or_admin(user)
    owners = list(visible_people(user)) if assign else []
    teams = list(Team.objects.visible_to(user)) if assign else []
    context = {
        "page": page,
        "deals": list(page.object_list),
        "totals": totals,
        "status_totals": [
            (label, totals[value]) for value, label in Deal.Status.choices if totals[value] is not None
        ],
        "filters": filters,
        "owners": owners,
        "bar": DealFilterSet.suggested(
            request,
            filters.owner_team_bar(BAR, owners=owners, teams=teams),
            Deal.objects.visible_to(user),
            SUGGESTED,
        ),
        "columns": _columns(filters.applied.get("sort", ""), assign),
        "show_owner": assign,
        "today": timezone.localdate(),
        "filtered": any(k != "sort" for k in filters.applied),
        "hidden_filters": hidden_filters(request, filters, CHIPS),
        "stages": stages,
    }
    template = "sales/partials/deal_table.html" if wants_fragment(request) else "sales/deal_list.html"
    return render(request, template, context)


def _reopen_stage(deal: Deal, timeline: list) -> int | None:
    """The open stage a reopening offers first: where a lost deal was lost, where a won one came from."""
    if deal.status == Deal.Status.LOST:
        return deal.stage_id
    for entry in timeline:
        move = entry.item
        won = entry.kind == "stage" and move.status == Deal.Status.WON and move.from_stage_id
        if won and move.from_stage.is_open:
            return move.from_stage_id
    return None


def _panel_context(request: HttpRequest, deal: Deal, **extra) -> dict:
    stages = list(Stage.objects.all())
    if deal.status == Deal.Status.OPEN:
        targets = [s for s in stages if s.pk != deal.stage_id]
    elif deal.status == Deal.Status.WON:
        targets = [s for s in stages if not s.is_open and s.pk != deal.stage_id]
    else:
        targets = []
    timeline = deal_timeline(deal)
    closed = deal.status != Deal.Status.OPEN
    can_reopen = closed and deal.may_reopen(request.user)
    open_stages = [s for s in stages if s.is_open]
    context = {
        "deal": deal,
        "stages": stages,
        "move_targets": targets,
        "timeline": timeline,
        "can_reopen": can_reopen,
        "reopen_targets": open_stages if can_reopen else [],
        "reopen_stage": _reopen_stage(deal, timeline) if can_reopen else None,
        "reopen_form": ReopenForm(initial={"version": deal.version}, auto_id="reopen_%s"),
        "lost_reasons": (
            list(LostReason.objects.visible_to(request.user).active())
            if deal.status == Deal.Status.OPEN
            else []
        ),
        "history": history_for(
            deal,
            user=request.user,
            known=[*stages, deal.customer, deal.owner, deal.product, deal.lost_reason],
        ),
        "activity_form": ActivityForm(user=request.user, deal=deal, compact=True, auto_id="act_%s"),
        "lost_form": LostForm(initial={"version": deal.version}, auto_id="lost_%s"),
        "probability_form": ProbabilityForm(
            initial={"version": deal.version, "probability": deal.probability}, auto_id="prob_%s"
        ),
        "today": timezone.localdate(),
        "now": timezone.now(),
        "stage_odds": pipeline_odds(timezone.localdate()).learned(stages).for_stage(deal.stage_id),
    }
    context.update(extra)
    return context


@login_required
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_visible_or_404(Deal.objects.for_display(), request.user, pk=pk)
    return render(request, "sales/deal_detail.html", _panel_context(request, deal))


def _respond(request: HttpRequest, pk: int, *, notice: str = "", error: str = "", **forms) -> HttpResponse:
    """The refreshed panel for htmx, else a redirect to the page with the outcome as a message."""
    if wants_fragment(request):
        deal = get_visible_or_404(Deal.objects.for_display(), request.user, pk=pk)
        context = _panel_context(request, deal, notice=notice, error=error, **forms)
        return render(request, "sales/partials/deal_panel.html", context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("sales:deal_detail", pk=pk)


def _act(
    request: HttpRequest,
    pk: int,
    form,
    action: Callable[[Deal, dict], str],
    form_name: str,
):
    """Validate ``form``, then run ``action`` on the copy of the deal the user saw (its version).

    A win answers with an undo: the reopening to the stage the deal came from, at its new version.
    """
    deal = get_visible_or_404(Deal.objects.for_display(), request.user, pk=pk)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return _respond(request, pk, error=first, **{form_name: form})
    deal.version = form.cleaned_data["version"]
    was_open, from_stage = deal.is_open, deal.stage
    try:
        notice = action(deal, form.cleaned_data)
    except StaleEdit:
        return _respond(
            request, pk, error=_("This deal was changed by someone else; here is how it looks now.")
        )
    except DealError as exc:
        return _respond(request, pk, error=str(exc), **{form_name: form})
    if was_open and deal.status == Deal.Status.WON:
        return _respond(request, pk, notice=notice, undo={"stage": from_stage, "version": deal.version})
    return _respond(request, pk, notice=notice)


@require_POST
@login_required
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    def move(deal: Deal, data: dict) -> str:
        deal.move_to(data["stage"], by=request.user)
        if deal.status == Deal.Status.WON:
            return _("Won! The deal is in %(stage)s and its sale is recorded.") % {"stage": data["stage"]}
        return _("Moved to %(stage)s.") % {"stage": data["stage"]}

    return _act(request, pk, MoveForm(request.POST), move, "move_form")


@require_POST
@login_required
def deal_won(request: HttpRequest, pk: int) -> HttpResponse:
    def win(deal: Deal, data: dict) -> str:
        deal.win(by=request.user)
        return _("Won! The sale is recorded.")

    return _act(request, pk, VersionForm(request.POST), win, "move_form")


@require_POST
@login_required
def deal_lost(request: HttpRequest, pk: int) -> HttpResponse:
    def lose(deal: Deal, data: dict) -> str:
        deal.mark_lost(data["reason"], note=data["note"], by=request.user)
        return _("Marked lost.")

    return _act(request, pk, LostForm(request.POST, auto_id="lost_%s"), lose, "lost_form")


@require_POST
@login_required
def deal_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    def reopen(deal: Deal, data: dict) -> str:
        was_won = deal.status == Deal.Status.WON
        deal.reopen(data["stage"], by=request.user, note=data["note"])
        if was_won:
            return _("Reopened in %(stage)s; its sale is reversed.") % {"stage": data["stage"]}
        return _("Reopened in %(stage)s.") % {"stage": data["stage"]}

    form = ReopenForm(request.POST, auto_id="reopen_%s")
    # ``Deal.reopen`` refuses (403) whoever may not reopen the deal.
    return _act(request, pk, form, reopen, "reopen_form")


@require_POST
@login_required
def deal_probability(request: HttpRequest, pk: int) -> HttpResponse:
    def set_probability(deal: Deal, data: dict) -> str:
        if data.get("clear"):
            deal.clear_probability_override()
            return _("Probability reset to the stage's default.")
        deal.set_probability(data["probability"])
        return _("Probability set to %(p)s%%.") % {"p": data["probability"]}

    form = ProbabilityForm(request.POST, auto_id="prob_%s")
    return _act(request, pk, form, set_probability, "probability_form")


@require_POST
@login_required
def deal_log_activity(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_visible_or_404(Deal.objects.for_display(), request.user, pk=pk)
    form = ActivityForm(request.POST, user=request.user, deal=deal, compact=True, auto_id="act_%s")
    if not form.is_valid():
        if wants_fragment(request):
            context = _panel_context(request, deal, activity_form=form)
            return render(request, "sales/partials/deal_panel.html", context)
        return render(request, "sales/deal_detail.html", _panel_context(request, deal, activity_form=form))
    activity = form.save()
    return _respond(request, pk, notice=_("Logged: %(subject)s") % {"subject": activity.subject})


@login_required
def deal_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {}
    customer_id = request.GET.get("customer", "")
    if customer_id.isdigit():
        customer = Customer.objects.visible_to(user).filter(pk=customer_id).first()
        if customer is not None:
            initial = {"customer": customer.pk, "title": customer.name}
    initial.update(product_initial(request.GET, user, title=initial.get("title", "")))
    form = DealCreateForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deal = create_deal(
                customer=data["customer"],
                title=data["title"],
                owner=form.chosen_owner(),
                by=user,
                amount=data["amount"],
                stage=data.get("stage"),
                probability=data.get("probability"),
                opened_on=data["opened_on"],
                expected_close=data.get("expected_close"),
                channel=data.get("channel", ""),
                product=data.get("product"),
                contact=data.get("contact"),
            )
        except DealError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Deal “%(title)s” created.") % {"title": deal.title})
            return redirect(deal)
    return render(request, "sales/deal_form.html", {"form": form, "deal": None})


def _stale_message(form: DealEditForm, original: dict, current: Deal) -> list[str]:
    """One line per field someone else changed: label, the user's value, the value now."""
    now = deal_values(current)
    lines = []
    for name in WATCHED:
        if original.get(name, "") == now[name]:
            continue
        field = Deal._meta.get_field(name)
        label = str(field.verbose_name).capitalize()
        if name in form.fields:
            label = str(form.fields[name].label)
        yours = _shown(
            current,
            name,
            form.cleaned_data.get(name) if name in form.fields else None,
            original.get(name, ""),
        )
        theirs = _shown(current, name, getattr(current, name), now[name])
        lines.append(_("%(field)s: %(yours)s → %(now)s") % {"field": label, "yours": yours, "now": theirs})
    return lines


def _shown(current: Deal, name: str, value, text: str) -> str:
    if name == "status":
        return str(Deal.Status(text).label) if text in Deal.Status.values else text
    if name == "stage":
        stage = Stage.objects.filter(pk=text).first() if text else None
        return str(stage) if stage else "—"
    if value is not None and value != "":
        if hasattr(value, "get_full_name"):
            return display_name(value)
        return str(value)
    return text or "—"


@login_required
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_visible_or_404(Deal.objects.for_display(), request.user, pk=pk)
    if request.method != "POST":
        form = DealEditForm(user=request.user, deal=deal, initial=DealEditForm.initial_for(deal))
        return render(request, "sales/deal_form.html", {"form": form, "deal": deal})
    form = DealEditForm(request.POST, user=request.user, deal=deal)
    if form.is_valid():
        original = form.cleaned_data["original"]
        changes = form.changes(original)
        if not changes:
            messages.info(request, _("Nothing to save: no field was changed."))
            return redirect(deal)
        try:
            deal.apply_edit(changes, version=form.cleaned_data["version"])
        except StaleEdit as stale:
            return _stale(request, form, original, stale.current)
        messages.success(request, _("Deal saved."))
        return redirect(deal)
    return render(request, "sales/deal_form.html", {"form": form, "deal": deal})


def _stale(request: HttpRequest, form: DealEditForm, original: dict, current: Deal) -> HttpResponse:
    """Refuse the edit, keep what the user typed, and let a resubmit apply it over the new copy."""
    lines = _stale_message(form, original, current)
    data = request.POST.copy()
    data["version"] = str(current.version)
    data["original"] = sign_values(current)
    # Fields the user left alone take the new values, so saving again only applies what they typed.
    now = DealEditForm.initial_for(current)
    for name in EDITABLE:
        if name in form.fields and same_value(original.get(name, ""), form.cleaned_data.get(name)):
            value = now[name]
            data[name] = (
                "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
            )
    fresh = DealEditForm(data, user=request.user, deal=current)
    fresh.is_valid()
    context = {"form": fresh, "deal": current, "stale_lines": lines}
    return render(request, "sales/deal_form.html", context, status=409)


@login_required
def deal_options(request: HttpRequest) -> HttpResponse:
    """The ``<option>``s of the visible open deals matching ``?deal_q=`` (the activity form's picker),
    of the customer ``?customer=`` only when given (the activity form's customer select asks so)."""
    text = request.GET.get("deal_q", "").replace("\x00", "")[:200]
    qs = Deal.objects.visible_to(request.user).open().search(text).select_related("customer")
    customer = request.GET.get("customer", "")
    if customer.isdigit() and len(customer) < 19:
        qs = qs.filter(customer_id=int(customer))
    rows = list(qs.order_by("title", "pk")[: PICKER_LIMIT + 1])
    options = [(d.pk, f"{d.title} · {d.customer.name}") for d in rows[:PICKER_LIMIT]]
    context = {"options": options, "more": len(rows) > PICKER_LIMIT}
    return render(request, "customers/partials/customer_options.html", context)
