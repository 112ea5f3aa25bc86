"""``GET /api/customers/{id}/recommendations/``: the customer page's "Suggested next", as data.

Another rep's customer is a 404, like every id route of the API.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.shortcuts import get_visible_or_404
from customers.models import Customer
from sales.api.authentication import API_AUTHENTICATION
from sales.recommend.store import suggestions_for


class RecommendationSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product.pk", help_text="Product id.")
    name = serializers.CharField(source="product.name")
    category = serializers.CharField(source="product.category")
    list_price = serializers.DecimalField(source="product.list_price", max_digits=14, decimal_places=2)
    kind = serializers.ChoiceField(
        choices=["bought_with", "segment", "overall"],
        help_text="bought_with: bought with this customer's products; segment: popular with customers "
        "like this one; overall: popular with everyone (the fallback).",
    )
    reason = serializers.CharField(
        help_text="Why, in the reader's language; counts are of customers in aggregate."
    )
    score = serializers.FloatField(help_text="Comparable within one answer only.")


class RecommendationsSerializer(serializers.Serializer):
    built = serializers.BooleanField(help_text="False until suggestions have been built from recorded sales.")
    results = RecommendationSerializer(many=True, source="items")


class CustomerRecommendationsView(APIView):
    """Up to five products to offer the customer next, best first, each with its reason."""

    authentication_classes = API_AUTHENTICATION

    @extend_schema(
        operation_id="customers_recommendations",
        responses={200: RecommendationsSerializer, 404: OpenApiResponse(description="No such customer.")},
    )
    def get(self, request: Request, pk: int) -> Response:
        customer = get_visible_or_404(Customer.objects.all(), request.user, pk=pk)
        suggestions = suggestions_for(customer, user=request.user, today=timezone.localdate())
        return Response(RecommendationsSerializer(suggestions).data)
