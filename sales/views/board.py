"""The pipeline board: a column per open stage plus the recent wins; cards move by drag and drop.

Columns load lazily: the page renders the first ``PAGE`` cards of each column and a sentinel that
fetches the next page (keyset pagination, so cards moved meanwhile do not shift the pages). The
headers come from one grouped aggregate; the first page of each column from one LIMIT query.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import slug_re
from django.db.models import BigIntegerField, Case, Count, F, Q, QuerySet, Sum, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from crm.filters import MAX_ID
from crm.shortcuts import get_visible_or_404
from people.names import display_name
from people.visibility import is_manager_or_admin, visible_people
from sales.forms import LostReasonForm, ReopenForm
from sales.metrics.pipeline import weighted
from sales.metrics.probabilities import StageOdds, pipeline_odds
from sales.metrics.scope import cents
from sales.models import Deal, DealError, LostReason, Stage, StaleEdit

PAGE = 50
# The won column shows what the team closed lately: long enough to cover a monthly review, short
# enough that the column does not turn into the archive (that is the deal list's job).
WON_DAYS = 30
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Column:
    stage: Stage
    won: bool
    count: int
    amount: Decimal
    weighted: Decimal
    cards: list[Deal]
    more: str  # query string of the next page, empty when the column is complete
    learned: StageOdds | None = None  # shown beside the stage's default probability


def _board_stages() -> list[Stage]:
    """The open stages in order, then the won stage (the board does not show after-sale stages)."""
    stages = list(Stage.objects.filter(kind__in=[Stage.Kind.OPEN, Stage.Kind.WON]).order_by("order"))
    won = [s for s in stages if s.kind == Stage.Kind.WON][:1]
    return [s for s in stages if s.is_open] + won


def _won_since(today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(days=WON_DAYS)


def _on_board(stages: list[Stage], today: datetime.date) -> Q:
    open_ids = [s.pk for s in stages if s.is_open]
    return Q(status=Deal.Status.OPEN, stage__in=open_ids) | Q(
        status=Deal.Status.WON, closed_on__gte=_won_since(today)
    )


def _column_key(won_stage: Stage | None) -> Case:
    """The column a deal sits in: its stage while open, the won column once won (whatever stage)."""
    won_pk = won_stage.pk if won_stage else 0
    return Case(
        When(status=Deal.Status.WON, then=Value(won_pk)),
        default=F("stage_id"),
        output_field=BigIntegerField(),
    )


def _ordering(won: bool) -> list:
    # Open columns: what closes soonest first, undated last. Won column: the latest win first.
    if won:
        return [F("closed_on").desc(), F("pk").desc()]
    return [F("expected_close").asc(nulls_last=True), F("pk").asc()]


def _after(deal: Deal, won: bool) -> str:
    """The keyset of the page after ``deal`` as a query string (date, then primary key)."""
    day = deal.closed_on if won else deal.expected_close
    return f"after={day.isoformat() if day else 'none'}&after_pk={deal.pk}"


def _after_q(won: bool, day: datetime.date | None, pk: int) -> Q:
    if won:
        return Q(closed_on__lt=day) | Q(closed_on=day, pk__lt=pk)
    if day is None:
        return Q(expected_close__isnull=True, pk__gt=pk)
    return Q(expected_close__gt=day) | Q(expected_close=day, pk__gt=pk) | Q(expected_close__isnull=True)


def _learned(stages: list[Stage], today: datetime.date) -> tuple[dict[int, StageOdds], dict | None]:
    """Each stage's learned probability, and the weights of the pipeline when the setting is on."""
    odds = pipeline_odds(today)
    return {s.stage_id: s for s in odds.learned(stages).stages}, odds.weights()


def _headers(
    deals: QuerySet, stages: list[Stage], today: datetime.date, weights: dict | None = None
) -> dict[int, dict]:
    """Count, amount and weighted amount per column, in one grouped query."""
    won_stage = stages[-1] if stages and not stages[-1].is_open else None
    # A won deal is certain, so its weighted value is its amount, whatever probability it kept.
    value = Case(When(status=Deal.Status.WON, then=F("amount")), default=weighted(weights))
    rows = (
        deals.filter(_on_board(stages, today))
        .order_by()
        .values(column=_column_key(won_stage))
        .annotate(
            n=Count("pk"),
            total=Sum("amount"),
            weighted_total=Sum(value, output_field=weighted().output_field),
        )
    )
    return {r["column"]: r for r in rows}


def _column_deals(deals: QuerySet, stage: Stage, today: datetime.date) -> QuerySet:
    """The deals of one column, in the column's order."""
    if stage.is_open:
        deals = deals.filter(status=Deal.Status.OPEN, stage=stage)
    else:
        deals = deals.filter(status=Deal.Status.WON, closed_on__gte=_won_since(today))
    return deals.select_related("customer", "owner", "stage").order_by(*_ordering(not stage.is_open))


def _first_pages(deals: QuerySet, stages: list[Stage], today: datetime.date) -> dict[int, list[Deal]]:
    """The first ``PAGE + 1`` cards of every column (the extra one says whether there is more).

    One LIMIT query per column rather than one windowed query over the whole board: each walks an
    index and stops after a page, where a window ranks every deal on the board first (at 10k open
    deals on PostgreSQL, about 4 ms for the four columns against 40-80 ms for the window).
    """
    return {s.pk: list(_column_deals(deals, s, today)[: PAGE + 1]) for s in stages}


def _column(
    stage: Stage, header: dict | None, cards: list[Deal], owner_id: int | None, learned: dict | None = None
) -> Column:
    header = header or {}
    won = not stage.is_open
    more = ""
    if len(cards) > PAGE:
        cards = cards[:PAGE]
        more = _after(cards[-1], won) + (f"&owner={owner_id}" if owner_id else "")
    return Column(
        stage=stage,
        won=won,
        count=header.get("n", 0),
        amount=cents(header.get("total") or ZERO),
        weighted=cents(header.get("weighted_total") or ZERO),
        cards=cards,
        more=more,
        learned=(learned or {}).get(stage.pk),
    )


def _owner_choices(user) -> list[tuple[int, str]] | None:
    """The reps a manager (or admin) may filter by; ``None`` for a rep, who sees only their own."""
    if not is_manager_or_admin(user):
        return None
    return [(u.pk, display_name(u)) for u in visible_people(user)]


def _positive_int(value: str | None) -> int | None:
    """An id from a query string; anything else (or an id beyond 64 bits) counts as none given."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number <= MAX_ID else None


def _board_deals(user, owner_id: int | None) -> QuerySet:
    deals = Deal.objects.visible_to(user)
    # Filtering on top of visible_to only ever narrows: an owner the user may not see gives nothing.
    return deals.filter(owner_id=owner_id) if owner_id else deals


def _columns(user, owner_id: int | None, today: datetime.date) -> list[Column]:
    stages = _board_stages()
    deals = _board_deals(user, owner_id)
    learned, weights = _learned(stages, today)
    headers = _headers(deals, stages, today, weights)
    pages = _first_pages(deals, stages, today)
    return [_column(s, headers.get(s.pk), pages.get(s.pk, []), owner_id, learned) for s in stages]


def _totals(columns: list[Column]) -> dict:
    """The open pipeline over the open columns, for the line under the title."""
    open_columns = [c for c in columns if not c.won]
    return {
        "open_count": sum(c.count for c in open_columns),
        "open_amount": sum((c.amount for c in open_columns), ZERO),
        "open_weighted": sum((c.weighted for c in open_columns), ZERO),
    }


@login_required
def pipeline(request: HttpRequest) -> HttpResponse:
    # Queries: session, user, role (is_manager: one or two), owner choices (managers and admins),
    # stages, pipeline settings, learned-probability counts, the grouped header aggregate, the first
    # page of each column (one per column), and the active lost reasons (the lost zone's list).
    today = timezone.localdate()
    choices = _owner_choices(request.user)
    owner_id = _positive_int(request.GET.get("owner")) if choices else None
    if owner_id not in {pk for pk, _name in choices or []}:
        owner_id = None
    columns = _columns(request.user, owner_id, today)
    context = {
        "columns": columns,
        "lost_reasons": list(LostReason.objects.visible_to(request.user).active()),
        "owner_choices": choices,
        "owner_id": owner_id,
        "today": today,
        "won_days": WON_DAYS,
        **_totals(columns),
    }
    return render(request, "sales/pipeline.html", context)


def _board_stage(key: str) -> Stage:
    stage = Stage.objects.filter(key=key, kind__in=[Stage.Kind.OPEN, Stage.Kind.WON]).first()
    if stage is None:
        raise Http404
    return stage


def _request_owner(request: HttpRequest, data) -> int | None:
    # A rep's board is always their own; only managers and admins narrow it to one rep.
    if not is_manager_or_admin(request.user):
        return None
    return _positive_int(data.get("owner"))


@login_required
def board_column(request: HttpRequest, key: str) -> HttpResponse:
    """The next page of one column, after the card named by ``after`` and ``after_pk``."""
    stage = _board_stage(key)
    today = timezone.localdate()
    won = not stage.is_open
    owner_id = _request_owner(request, request.GET)
    deals = _column_deals(_board_deals(request.user, owner_id), stage, today)
    after_pk = _positive_int(request.GET.get("after_pk"))
    after = request.GET.get("after", "")
    day = None if after in ("", "none") else _date(after)
    if after_pk and (day or after == "none") and not (won and day is None):
        deals = deals.filter(_after_q(won, day, after_pk))
    cards = list(deals[: PAGE + 1])
    column = _column(stage, None, cards, owner_id)
    context = {"column": column, "today": today}
    return render(request, "sales/partials/board_cards.html", context)


def _date(value: str) -> datetime.date | None:
    try:
        return parse_date(value)
    except ValueError:  # well formed but impossible, like 2025-02-30
        return None


def _refused(message: str, status: int) -> HttpResponse:
    # Plain text: the board's script shows it with textContent, never as markup.
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _changed(request: HttpRequest, deal: Deal | None) -> HttpResponse:
    """The moved card (or nothing, once lost) and every column header, swapped out of band."""
    today = timezone.localdate()
    owner_id = _request_owner(request, request.POST)
    stages = _board_stages()
    learned, weights = _learned(stages, today)
    headers = _headers(_board_deals(request.user, owner_id), stages, today, weights)
    columns = [_column(s, headers.get(s.pk), [], owner_id, learned) for s in stages]
    context = {"deal": deal, "today": today, "columns": columns, "won_days": WON_DAYS, **_totals(columns)}
    return render(request, "sales/partials/board_changed.html", context)


@login_required
def move_deal(request: HttpRequest, pk: int) -> HttpResponse:
    # The deal is looked up first so another rep's deal answers 404 whatever the method.
    deal = get_visible_or_404(Deal.objects.for_display(), request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    key = request.POST.get("stage", "")
    # Stage keys are slugs; anything else (a NUL byte included, which PostgreSQL refuses) is unknown.
    stage = Stage.objects.filter(key=key).first() if slug_re.fullmatch(key) else None
    if stage is None or stage.kind == Stage.Kind.AFTER_SALE:
        return _refused(_("The board cannot move a deal there."), 400)
    try:
        deal.move_to(stage, by=request.user)
    except DealError as error:
        return _refused(str(error), 409)
    return _changed(request, deal)


@login_required
def mark_lost(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_visible_or_404(Deal.objects.for_display(), request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = LostReasonForm(request.POST)
    if not form.is_valid():
        return _refused(form.first_error(), 400)
    try:
        deal.mark_lost(form.cleaned_data["reason"], note=form.cleaned_data["note"], by=request.user)
    except DealError as error:
        return _refused(str(error), 409)
    return _changed(request, None)


@login_required
def reopen_deal(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a win from the board: the deal goes back to the stage it came from, at the version the
    win left it at (a deal changed since is refused, not reopened blindly)."""
    deal = get_visible_or_404(Deal.objects.for_display(), request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _refused(next(iter(form.errors.values()))[0], 400)
    deal.version = form.cleaned_data["version"]
    try:
        deal.reopen(form.cleaned_data["stage"], by=request.user, note=form.cleaned_data["note"])
    except PermissionDenied:
        return _refused(_("Only the deal's owner, their managers and admins may reopen it."), 403)
    except StaleEdit:
        return _refused(_("This deal was changed by someone else since; open it to see it now."), 409)
    except DealError as error:
        return _refused(str(error), 409)
    return _changed(request, deal)
