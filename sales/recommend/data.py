"""Loading the aggregates the recommender needs: one grouped query over realised sales."""

import datetime
from dataclasses import dataclass

import numpy as np
from django.db.models import Count

from sales.models import SalesRecord
from sales.recommend.model import PurchaseRows


@dataclass(frozen=True, eq=False)
class CompanyPurchases:
    """Every customer's purchases as matrix positions, with the ids and segments behind them."""

    rows: PurchaseRows
    customer_ids: np.ndarray  # position → customer id, ascending
    product_ids: np.ndarray  # position → product id, ascending
    industry: list[str]  # per customer position
    region: list[str]
    channel: list[str]


def load_purchases(*, today: datetime.date) -> CompanyPurchases:
    """All realised sales that name a product, grouped by customer, product and day.

    The whole company's patterns on purpose: suggestions are about products, and the reasons built
    from them only ever carry products and aggregate counts.
    """
    grouped = list(
        SalesRecord.objects.in_force()
        .filter(product__isnull=False)
        .values_list(
            "customer_id",
            "product_id",
            "sold_on",
            "customer__industry",
            "customer__region",
            "customer__channel",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    customer_ids = np.unique(np.fromiter((r[0] for r in grouped), dtype=np.int64, count=len(grouped)))
    product_ids = np.unique(np.fromiter((r[1] for r in grouped), dtype=np.int64, count=len(grouped)))
    customers = np.searchsorted(customer_ids, [r[0] for r in grouped]).astype(np.int32)
    products = np.searchsorted(product_ids, [r[1] for r in grouped]).astype(np.int32)
    ages = np.fromiter(((today - r[2]).days for r in grouped), dtype=np.int32, count=len(grouped))
    counts = np.fromiter((r[6] for r in grouped), dtype=np.int32, count=len(grouped))
    industry, region, channel = [""] * len(customer_ids), [""] * len(customer_ids), [""] * len(customer_ids)
    for position, row in zip(customers.tolist(), grouped, strict=True):
        industry[position], region[position], channel[position] = row[3], row[4], row[5]
    return CompanyPurchases(
        PurchaseRows(customers, products, ages, counts), customer_ids, product_ids, industry, region, channel
    )
