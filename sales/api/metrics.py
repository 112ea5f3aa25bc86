"""GET /api/metrics/: the dashboard's indicators and pipeline metrics for a scope, as JSON.

The numbers come from ``sales.metrics.overview`` over ``visible_sources(user)``, the same call the
dashboard makes, so the page and the API cannot disagree.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.filters import MAX_ID
from people.models import Team
from people.visibility import is_manager_or_admin, visible_owners
from sales.api.authentication import API_AUTHENTICATION
from sales.dashboard.filters import EARLIEST, LATEST, preset_period
from sales.metrics import Scope, overview, pipeline_weights, visible_sources
from sales.models import Product

MONEY = {"max_digits": 20, "decimal_places": 2}
FRACTION = {"max_digits": 12, "decimal_places": 4, "allow_null": True}


class MetricsQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text=_("First day; the current quarter by default."))
    end = serializers.DateField(required=False, help_text=_("Last day (inclusive)."))
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    owner = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    region = serializers.CharField(required=False, max_length=100)
    channel = serializers.CharField(required=False, max_length=100)
    category = serializers.CharField(required=False, max_length=100, help_text=_("Product category."))
    product = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Product id.")
    )

    def validate(self, attrs: dict) -> dict:
        user = self.context["request"].user
        today = timezone.localdate()
        start, end = preset_period("quarter", today)
        start, end = attrs.get("start", start), attrs.get("end", end)
        errors = {}
        for name, day in (("start", start), ("end", end)):
            if not EARLIEST <= day <= LATEST:
                errors[name] = _("Choose a date between 1900 and 2200.")
        if not errors and end < start:
            errors["end"] = _("The period must end on or after its start.")
        team = attrs.get("team")
        if team is not None and not Team.objects.visible_to(user).filter(pk=team).exists():
            errors["team"] = _("No team with id %(id)s that you can see.") % {"id": team}
        owner = attrs.get("owner")
        owners = visible_owners(user)
        users = get_user_model().objects.filter(pk=owner)
        if owner is not None and owners is not None and not users.filter(pk__in=owners).exists():
            errors["owner"] = _("No rep with id %(id)s that you can see.") % {"id": owner}
        product = attrs.get("product")
        if product is not None and not Product.objects.visible_to(user).filter(pk=product).exists():
            errors["product"] = _("No product with id %(id)s.") % {"id": product}
        if errors:
            raise serializers.ValidationError(errors)
        texts = {k: attrs.get(k, "").replace("\x00", "").strip() for k in ("region", "channel", "category")}
        texts["product_id"] = product
        if not is_manager_or_admin(user):
            # A rep's dashboard is their own book, with their own plan; the API says the same.
            return {"scope": Scope(start, end, owner_id=user.pk, **texts)}
        return {"scope": Scope(start, end, team_id=team, owner_id=owner, **texts)}


class ScopeSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    team_id = serializers.IntegerField(allow_null=True)
    owner_id = serializers.IntegerField(allow_null=True)
    region = serializers.CharField()
    channel = serializers.CharField()
    category = serializers.CharField()
    product_id = serializers.IntegerField(allow_null=True)


class PlanRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    target_ratio = serializers.DecimalField(max_digits=8, decimal_places=4)
    activity_ratio = serializers.DecimalField(max_digits=8, decimal_places=4)
    revenue_quota = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class IndicatorsSerializer(serializers.Serializer):
    """R, T, A, E (money) and F (percent); null means "not available"."""

    need = serializers.DecimalField(**MONEY, allow_null=True, help_text="R: average customer need")
    target = serializers.DecimalField(**MONEY, allow_null=True, help_text="T = R × M")
    activity_plan = serializers.DecimalField(**MONEY, allow_null=True, help_text="A = T × P")
    execution = serializers.DecimalField(**MONEY, allow_null=True, help_text="E: average sales record")
    effectiveness = serializers.DecimalField(**MONEY, allow_null=True, help_text="F = E / T × 100 (percent)")


class IndicatorReportSerializer(serializers.Serializer):
    indicators = IndicatorsSerializer()
    customers = serializers.IntegerField(help_text="Customers in scope with a need.")
    records = serializers.IntegerField(help_text="Sales records in scope and period.")


class DealSummarySerializer(serializers.Serializer):
    won_revenue = serializers.DecimalField(**MONEY)
    deals_won = serializers.IntegerField()
    deals_lost = serializers.IntegerField()
    win_rate = serializers.DecimalField(**FRACTION, help_text="won / (won + lost), a fraction")
    average_won = serializers.DecimalField(**MONEY, allow_null=True)
    open_deals = serializers.IntegerField()
    open_amount = serializers.DecimalField(**MONEY)
    weighted_amount = serializers.DecimalField(**MONEY)


class SalesCycleSerializer(serializers.Serializer):
    deals = serializers.IntegerField()
    mean_days = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    median_days = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class AttainmentSerializer(serializers.Serializer):
    actual = serializers.DecimalField(
        **MONEY, help_text="Realised sales: the sum of sales records in the period."
    )
    quota = serializers.DecimalField(**MONEY, allow_null=True)
    attainment = serializers.DecimalField(**FRACTION)
    elapsed = serializers.DecimalField(max_digits=12, decimal_places=4)
    pace = serializers.DecimalField(**FRACTION)


class ForecastMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    deals = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    weighted = serializers.DecimalField(**MONEY)
    target = serializers.DecimalField(**MONEY, allow_null=True)


class ForecastSerializer(serializers.Serializer):
    months = ForecastMonthSerializer(many=True)
    amount = serializers.DecimalField(**MONEY)
    weighted = serializers.DecimalField(**MONEY)
    deals = serializers.IntegerField()


class FunnelStepSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    reached = serializers.IntegerField()
    conversion = serializers.DecimalField(**FRACTION)


class StageTimeSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    stays = serializers.IntegerField()
    mean_days = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class ActivityKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    planned = serializers.IntegerField()
    done = serializers.IntegerField()


class ActivitySummarySerializer(serializers.Serializer):
    rows = ActivityKindSerializer(many=True)
    planned = serializers.IntegerField()
    done = serializers.IntegerField()
    quota = serializers.IntegerField(allow_null=True)
    attainment = serializers.DecimalField(**FRACTION)


class RiskCountsSerializer(serializers.Serializer):
    stale = serializers.IntegerField()
    overdue = serializers.IntegerField()
    slipped = serializers.IntegerField()
    at_risk = serializers.IntegerField()


class RiskRowSerializer(serializers.Serializer):
    deal = serializers.IntegerField(source="deal.pk")
    title = serializers.CharField(source="deal.title")
    amount = serializers.DecimalField(source="deal.amount", **MONEY)
    stale = serializers.BooleanField()
    overdue = serializers.BooleanField()
    slipped = serializers.BooleanField()


class LeaderRowSerializer(serializers.Serializer):
    owner_id = serializers.IntegerField()
    name = serializers.CharField()
    won_revenue = serializers.DecimalField(**MONEY)
    deals_won = serializers.IntegerField()
    deals_lost = serializers.IntegerField()
    win_rate = serializers.DecimalField(**FRACTION)
    activities_done = serializers.IntegerField()
    quota = serializers.DecimalField(**MONEY, allow_null=True)
    sales = serializers.DecimalField(**MONEY, help_text="Sum of the rep's sales records.")
    attainment = serializers.DecimalField(**FRACTION)


class PlanShareSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="plan.pk")
    name = serializers.CharField(source="plan.name")
    days = serializers.IntegerField(help_text="Days of the plan that counted in the period.")
    plan_days = serializers.IntegerField(source="plan.days")
    prorated = serializers.BooleanField()


class QuotaSerializer(serializers.Serializer):
    """A quota the plans add up to: each plan's quota × its days inside the period ÷ its days."""

    total = serializers.DecimalField(**MONEY, allow_null=True)
    plans = serializers.IntegerField()
    prorated = serializers.IntegerField()
    shares = PlanShareSerializer(many=True)


class ActivityQuotaSerializer(QuotaSerializer):
    total = serializers.IntegerField(allow_null=True)


class TargetLineSerializer(serializers.Serializer):
    actual = serializers.DecimalField(**MONEY, help_text="Sum of the sales records.")
    target = serializers.DecimalField(**MONEY, allow_null=True)
    execution = serializers.DecimalField(**FRACTION, help_text="actual / target, a fraction")


class TargetMonthSerializer(TargetLineSerializer):
    month = serializers.DateField(source="key")


class TargetCategorySerializer(TargetLineSerializer):
    category = serializers.CharField(source="label")


class ExecutionSerializer(serializers.Serializer):
    total = TargetLineSerializer()
    months = TargetMonthSerializer(many=True)
    categories = TargetCategorySerializer(many=True)


class MetricsSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    plan = PlanRefSerializer(allow_null=True)
    indicators = IndicatorReportSerializer()
    summary = DealSummarySerializer()
    cycle = SalesCycleSerializer()
    attainment = AttainmentSerializer()
    forecast = ForecastSerializer()
    funnel = FunnelStepSerializer(many=True)
    stage_times = StageTimeSerializer(many=True)
    activities = ActivitySummarySerializer()
    risk = RiskCountsSerializer()
    risk_rows = RiskRowSerializer(many=True)
    leaders = LeaderRowSerializer(many=True)
    quota = QuotaSerializer()
    activity_quota = ActivityQuotaSerializer()
    execution = ExecutionSerializer()
    weighted_with = serializers.SerializerMethodField(
        help_text=_("Which probabilities weigh the pipeline and forecast: “learned” or “stage_defaults”.")
    )

    def get_weighted_with(self, data) -> str:
        return "learned" if data.learned_weights else "stage_defaults"


class MetricsView(APIView):
    """The five indicators and the pipeline metrics over a scope, limited to what the user may see."""

    authentication_classes = API_AUTHENTICATION

    @extend_schema(parameters=[MetricsQuerySerializer], responses=MetricsSerializer)
    def get(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        data = overview(
            visible_sources(request.user),
            query.validated_data["scope"],
            today=today,
            stale_days=settings.CRM_STALE_DAYS,
            weights=pipeline_weights(today),
        )
        return Response(MetricsSerializer(data).data)
