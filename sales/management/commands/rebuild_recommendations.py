"""Rebuild the "Suggested next" model from every realised sale.

Run after imports and nightly; until a background worker does that, run it by hand or from cron:
``manage.py rebuild_recommendations``.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from sales.recommend.store import rebuild


class Command(BaseCommand):
    help = "Rebuild the product suggestions (Suggested next) from the sales records."

    def handle(self, *args, **options) -> None:
        summary = rebuild(today=timezone.localdate(), now=timezone.now())
        self.stdout.write(
            f"{summary.products} products, {summary.customers} customers with sales: "
            f"{summary.rows} rows and {summary.suggestions} customer suggestions stored "
            f"({summary.seconds:.1f} s)."
        )
