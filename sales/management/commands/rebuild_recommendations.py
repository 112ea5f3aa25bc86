"""Rebuild the "Suggested next" model from every realised sale.

The worker (``manage.py worker``) rebuilds it nightly and after new sales; this command does it at
once, e.g. right after a large import: ``manage.py rebuild_recommendations``.
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
