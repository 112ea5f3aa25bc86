"""Keeps "Suggested next" fresh: the worker rebuilds it once a day, and again soon after sales were
added (an import, a won deal) since the last build, at most every ``CRM_RECOMMEND_REBUILD_MINUTES``.
"""

import datetime

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from automation.models import DailyRun
from automation.once import first_to
from sales.models import RecommendationRow, SalesRecord
from sales.recommend.store import rebuild

JOB = "recommendations"


def rebuild_when_due(now: datetime.datetime) -> bool:
    """Rebuild when today's nightly build is not done, or when sales came in since the last build
    and that build is older than the pause; False when nothing was due."""
    day = timezone.localdate(now)
    built = RecommendationRow.objects.aggregate(at=Max("built_at"))["at"]
    nightly_done = DailyRun.objects.filter(job=JOB, day=day).exists()
    if nightly_done:
        newest_sale = SalesRecord.objects.aggregate(at=Max("created_at"))["at"]
        pause = datetime.timedelta(minutes=settings.CRM_RECOMMEND_REBUILD_MINUTES)
        if built is None or newest_sale is None or newest_sale <= built or now - built < pause:
            return False

    def build() -> None:
        if not nightly_done:
            # The row makes the nightly build run once, whichever worker gets there first.
            DailyRun.objects.create(job=JOB, day=day, done_at=now)
        rebuild(today=day, now=now)

    return first_to(build)  # False when another worker took today's build at the same moment
