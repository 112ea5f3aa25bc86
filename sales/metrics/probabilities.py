"""Learned stage probabilities: how often deals that reached a stage were won here.

For each stage: among the deals closed (won or lost) in the window, those with a stage-change row
into the stage; the learned probability is the share of them that were won. Below the minimum
number of such deals the stage has "not enough data" (``probability`` is None) and the pipeline
keeps the stage's default.

The figure is the company's, over every deal, not the viewer's own book: the same deal weighs the
same for its rep and their manager, and a rep's few deals would say little.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, DecimalField, ExpressionWrapper, F, Func, Q, Value, When

from sales.metrics.scope import ratio


@dataclass(frozen=True)
class StageOdds:
    stage_id: int
    key: str
    name: str
    default: Decimal
    closed: int  # closed deals in the window that reached the stage
    won: int  # of those, the ones won
    probability: Decimal | None  # percent; None: fewer closed deals than the minimum


@dataclass(frozen=True)
class LearnedProbabilities:
    start: datetime.date
    end: datetime.date
    minimum: int
    stages: tuple[StageOdds, ...]

    def by_stage(self) -> dict[int, Decimal]:
        """Stage id -> learned probability, for the stages with enough data."""
        return {s.stage_id: s.probability for s in self.stages if s.probability is not None}

    def for_stage(self, stage_id: int) -> StageOdds | None:
        return next((s for s in self.stages if s.stage_id == stage_id), None)


def window_start(today: datetime.date, months: int) -> datetime.date:
    """The first day of the ``months`` months that end today (today - months, exclusive)."""
    index = today.year * 12 + today.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(today.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day) + datetime.timedelta(days=1)


def reached_and_won(stage_changes, *, start: datetime.date, end: datetime.date) -> dict[int, tuple[int, int]]:
    """Stage id -> (closed deals that reached it, of them won): one grouped query over the
    stage-change ledger of the deals closed from ``start`` to ``end``."""
    rows = (
        stage_changes.filter(
            deal__status__in=("won", "lost"), deal__closed_on__gte=start, deal__closed_on__lte=end
        )
        .values("to_stage")
        .annotate(
            closed=Count("deal", distinct=True),
            won=Count("deal", distinct=True, filter=Q(deal__status="won")),
        )
        .order_by()
    )
    return {r["to_stage"]: (r["closed"], r["won"]) for r in rows}


def share_won(closed: int, won: int, minimum: int) -> Decimal | None:
    """The learned probability in percent, or None below the minimum number of closed deals."""
    return ratio(won * 100, closed, "0.01") if closed >= max(minimum, 1) else None


def learned_probabilities(
    stage_changes, stages: list, *, start: datetime.date, end: datetime.date, minimum: int
) -> LearnedProbabilities:
    """Per stage of ``stages``: closed deals of the window that reached it, won, and the share."""
    return odds_for(reached_and_won(stage_changes, start=start, end=end), stages, start, end, minimum)


def odds_for(
    counts: dict[int, tuple[int, int]], stages: list, start: datetime.date, end: datetime.date, minimum: int
) -> LearnedProbabilities:
    odds = []
    for stage in stages:
        n, won = counts.get(stage.pk, (0, 0))
        odds.append(
            StageOdds(
                stage_id=stage.pk,
                key=stage.key,
                name=stage.display_name,
                default=stage.default_probability,
                closed=n,
                won=won,
                probability=share_won(n, won, minimum),
            )
        )
    return LearnedProbabilities(start=start, end=end, minimum=minimum, stages=tuple(odds))


def weighted_with(probabilities: dict[int, Decimal] | None) -> ExpressionWrapper:
    """amount × probability %, where the probability is the deal's own when set by hand, else the
    learned one of its stage (when given and known), else the deal's (its stage's default)."""
    probability = F("probability")
    if probabilities:
        probability = Case(
            When(probability_overridden=True, then=F("probability")),
            *(When(stage_id=pk, then=Value(p)) for pk, p in sorted(probabilities.items())),
            default=F("probability"),
            output_field=DecimalField(max_digits=5, decimal_places=2),
        )
    return Percent(F("amount") * probability, output_field=DecimalField(max_digits=24, decimal_places=6))


class Percent(Func):
    """``expression`` / 100. SQLite keeps whole-number decimals as integers, where 1 × 10 / 100 is 0:
    there the divisor is written as a real number."""

    template = "((%(expressions)s) / 100)"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((%(expressions)s) / 100.0)", **extra)


@dataclass(frozen=True)
class PipelineOdds:
    """The settings in force and the counts of today's window: what the pages and the weighted
    pipeline need. Kept whole in the cache, so it holds plain values only."""

    use_learned: bool
    start: datetime.date
    end: datetime.date
    minimum: int
    counts: dict

    def learned(self, stages: list) -> LearnedProbabilities:
        return odds_for(self.counts, stages, self.start, self.end, self.minimum)

    def weights(self) -> dict[int, Decimal] | None:
        """The probabilities the weighted pipeline uses instead of the deals' own, or None."""
        if not self.use_learned:
            return None
        learned = {pk: share_won(n, won, self.minimum) for pk, (n, won) in self.counts.items()}
        return {pk: p for pk, p in learned.items() if p is not None}


def pipeline_odds(today: datetime.date) -> PipelineOdds:
    """The pipeline settings and the learned counts of today's window: two queries, kept for
    CRM_LEARNED_PROBABILITIES_CACHE_SECONDS when set, since they change only as deals close."""
    from sales.models import PipelineSettings, StageChange

    seconds = getattr(settings, "CRM_LEARNED_PROBABILITIES_CACHE_SECONDS", 0)
    key = f"crm:pipeline-odds:{today.isoformat()}"
    if seconds > 0:
        hit = cache.get(key)
        if hit is not None:
            return hit
    config = PipelineSettings.objects.filter(pk=1).first() or PipelineSettings()
    start = window_start(today, config.window_months)
    odds = PipelineOdds(
        use_learned=config.use_learned_probabilities,
        start=start,
        end=today,
        minimum=config.minimum_deals,
        counts=reached_and_won(StageChange.objects.all(), start=start, end=today),
    )
    if seconds > 0:
        cache.set(key, odds, seconds)
    return odds


def pipeline_weights(today: datetime.date) -> dict[int, Decimal] | None:
    """What weighs the dashboard's pipeline: None (the deals' own probabilities) unless the setting
    asks for learned ones. The learned counts are read only then, so the usual dashboard spends one
    small query here rather than a scan of the stage-change ledger."""
    from sales.models import PipelineSettings

    seconds = getattr(settings, "CRM_LEARNED_PROBABILITIES_CACHE_SECONDS", 0)
    hit = cache.get(f"crm:pipeline-odds:{today.isoformat()}") if seconds > 0 else None
    if hit is None and not PipelineSettings.objects.filter(pk=1, use_learned_probabilities=True).exists():
        return None
    return (hit or pipeline_odds(today)).weights()


def forget_pipeline_odds(today: datetime.date) -> None:
    cache.delete(f"crm:pipeline-odds:{today.isoformat()}")
