"""Drill-down links from the dashboard's figures to the lists behind them, with the scope's filters."""

from urllib.parse import urlencode

from django.urls import reverse

from sales.metrics import Scope


class Links:
    """Drill-down links to the deal list, carrying the scope's filters (never another user's data)."""

    def __init__(self, scope: Scope, is_rep: bool):
        self.scope = scope
        self.base_url = reverse("sales:deal_list")
        base = {"team": scope.team_id, "region": scope.region, "channel": scope.channel}
        base |= {"category": scope.category, "owner": None if is_rep else scope.owner_id}
        base |= {"product": scope.product_id}
        self.base = {k: v for k, v in base.items() if v}

    def deals(self, **params) -> str:
        query = {**self.base, **{k: v for k, v in params.items() if v is not None}}
        return f"{self.base_url}?{urlencode(query, doseq=True)}" if query else self.base_url

    def closed(self, status: str | None = None, start=None, end=None, **extra) -> str:
        start, end = start or self.scope.start, end or self.scope.end
        return self.deals(status=status, closed_from=start.isoformat(), closed_to=end.isoformat(), **extra)


def with_query(url: str, params: dict) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{url}?{query}" if query else url


def records_url(scope: Scope, is_rep: bool) -> str:
    """The sales records behind E: the record list filters by sold-on dates, owner and the texts."""
    params = {"start": scope.start.isoformat(), "end": scope.end.isoformat()}
    params |= {"owner": None if is_rep else scope.owner_id, "region": scope.region, "channel": scope.channel}
    params |= {"category": scope.category, "product": scope.product_id}
    return with_query(reverse("sales:salesrecord_list"), params)


def plans_url(scope: Scope) -> str:
    """The plans page on the months of the quarter the period starts in, for the scope's level."""
    params = {"period": "month", "year": scope.start.year, "quarter": (scope.start.month - 1) // 3 + 1}
    params["level"] = "team" if scope.team_id and not scope.owner_id else ""
    return with_query(reverse("sales:plans"), params)
