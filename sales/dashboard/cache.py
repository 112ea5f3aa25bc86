"""Dashboard figures kept for a short while per user and scope, when the deployment asks for it."""

import datetime
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from sales.metrics import Overview, Scope, overview

GENERATION_KEY = "crm:dashboard:generation"


def forget_cached_overviews() -> None:
    """Make every kept overview unreachable (they expire on their own), e.g. after an erasure."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, None)


def cached_overview(
    user, sources, scope: Scope, today: datetime.date, *, fresh: bool, weights: dict | None = None
) -> tuple[Overview, object]:
    """The overview and when it was computed; kept per user and scope for a short while if configured.

    CRM_DASHBOARD_CACHE_SECONDS (0, the default, turns it off) trades a minute of staleness for a
    dashboard that opens without re-aggregating the whole book; ``fresh`` recomputes it now.
    """
    seconds = getattr(settings, "CRM_DASHBOARD_CACHE_SECONDS", 0)
    stale_days = settings.CRM_STALE_DAYS
    if seconds <= 0:
        return overview(sources, scope, today=today, stale_days=stale_days, weights=weights), timezone.now()
    # The user is part of the key: what a user may see is theirs alone.
    weighed = (sorted((weights or {}).items()), weights is None)
    raw = repr((user.pk, scope, today, stale_days, weighed, cache.get(GENERATION_KEY, 0))).encode()
    key = "crm:dashboard:" + hashlib.sha256(raw).hexdigest()
    hit = None if fresh else cache.get(key)
    if hit is None:
        hit = (overview(sources, scope, today=today, stale_days=stale_days, weights=weights), timezone.now())
        cache.set(key, hit, seconds)
    return hit
