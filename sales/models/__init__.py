from sales.models.catalog import LostReason, Product, Stage
from sales.models.deals import Deal, DealError, StageChange, StaleEdit
from sales.models.pipeline_settings import PipelineSettings
from sales.models.plans import SalesPlan
from sales.models.recommendations import CustomerSuggestion, RecommendationRow
from sales.models.records import Activity, SalesRecord, contact_customer_error, deal_customer_error
from sales.models.rollups import Rollup

__all__ = [
    "Activity",
    "CustomerSuggestion",
    "Deal",
    "DealError",
    "LostReason",
    "PipelineSettings",
    "Product",
    "RecommendationRow",
    "Rollup",
    "SalesPlan",
    "SalesRecord",
    "Stage",
    "StageChange",
    "StaleEdit",
    "contact_customer_error",
    "deal_customer_error",
]
