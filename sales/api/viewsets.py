"""API views. Every queryset starts from ``visible_to(request.user)``, so another rep's id is a 404."""

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from customers.models import Contact, Customer
from sales.actions import create_deal
from sales.api import filters, serializers
from sales.api.authentication import API_AUTHENTICATION
from sales.api.permissions import PlansAreWrittenByManagers
from sales.filters import filter_customers, filter_deals
from sales.history import record_changes, snapshot
from sales.models import Activity, Deal, DealError, Product, SalesPlan, SalesRecord, StaleEdit
from sales.record_filters import filter_sales_records


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class CrmPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class VisibleModelViewSet(viewsets.ModelViewSet):
    """A model viewset whose rows are what the user may see, filtered by ``filter_list``."""

    authentication_classes = API_AUTHENTICATION
    model = None
    related: tuple[str, ...] = ()
    pagination_class = CrmPagination

    def get_queryset(self) -> QuerySet:
        qs = self.model.objects.visible_to(self.request.user).select_related(*self.related)
        if self.action == "list":
            qs = self.filter_list(qs, self.request.query_params)
        return qs

    def filter_list(self, qs: QuerySet, params) -> QuerySet:
        return qs

    def perform_destroy(self, instance) -> None:
        try:
            instance.delete()
        except ProtectedError as exc:
            raise Conflict(
                _("%(name)s is still used by other records (deals or sales records) and cannot be deleted.")
                % {"name": instance}
            ) from exc


class HistoryMixin:
    """Creates and edits through the API leave a change-history row, like edits in the pages."""

    @transaction.atomic
    def perform_create(self, serializer) -> None:
        obj = serializer.save()
        record_changes(obj, None, by=self.request.user)

    @transaction.atomic
    def perform_update(self, serializer) -> None:
        before = snapshot(serializer.instance)
        obj = serializer.save()
        record_changes(obj, before, by=self.request.user)


@extend_schema_view(list=extend_schema(parameters=filters.CUSTOMER_PARAMETERS))
class CustomerViewSet(HistoryMixin, VisibleModelViewSet):
    model = Customer
    related = ("owner",)
    serializer_class = serializers.CustomerSerializer

    def filter_list(self, qs, params):
        return filter_customers(qs, params)[0]


@extend_schema_view(list=extend_schema(parameters=filters.CONTACT_PARAMETERS))
class ContactViewSet(VisibleModelViewSet):
    model = Contact
    related = ("customer",)
    serializer_class = serializers.ContactSerializer

    def filter_list(self, qs, params):
        return filters.filter_contacts(qs, params)


@extend_schema_view(list=extend_schema(parameters=filters.ACTIVITY_PARAMETERS))
class ActivityViewSet(VisibleModelViewSet):
    model = Activity
    related = ("owner",)
    serializer_class = serializers.ActivitySerializer

    def filter_list(self, qs, params):
        return filters.filter_activities(qs, params)


@extend_schema_view(list=extend_schema(parameters=filters.SALES_RECORD_PARAMETERS))
class SalesRecordViewSet(VisibleModelViewSet):
    model = SalesRecord
    related = ("owner", "customer")
    serializer_class = serializers.SalesRecordSerializer

    def filter_list(self, qs, params):
        return filter_sales_records(qs, params)


@extend_schema_view(list=extend_schema(parameters=filters.PLAN_PARAMETERS))
class SalesPlanViewSet(VisibleModelViewSet):
    model = SalesPlan
    related = ("team", "rep")
    serializer_class = serializers.SalesPlanSerializer
    permission_classes = [*VisibleModelViewSet.permission_classes, PlansAreWrittenByManagers]

    def filter_list(self, qs, params):
        return filters.filter_plans(qs, params)


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """The product catalogue, to look up product ids for deals and sales records."""

    authentication_classes = API_AUTHENTICATION
    serializer_class = serializers.ProductSerializer
    pagination_class = CrmPagination

    def get_queryset(self) -> QuerySet:
        return Product.objects.visible_to(self.request.user)


def _stale(exc: StaleEdit) -> Response:
    body = {"detail": str(exc), "current": serializers.DealSerializer(exc.current).data}
    return Response(body, status=status.HTTP_409_CONFLICT)


_DEAL_ERRORS = {
    400: OpenApiResponse(serializers.ErrorSerializer, description="The rules refuse the change."),
    409: OpenApiResponse(serializers.StaleEditSerializer, description="The deal changed since `version`."),
}


@extend_schema_view(
    list=extend_schema(parameters=filters.DEAL_PARAMETERS),
    create=extend_schema(
        request=serializers.DealCreateSerializer, responses={201: serializers.DealSerializer}
    ),
    update=extend_schema(
        request=serializers.DealEditSerializer, responses={200: serializers.DealSerializer, **_DEAL_ERRORS}
    ),
    partial_update=extend_schema(
        request=serializers.DealEditSerializer, responses={200: serializers.DealSerializer, **_DEAL_ERRORS}
    ),
)
class DealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Deals. Stage and status change only through the move, won and lost actions."""

    authentication_classes = API_AUTHENTICATION
    serializer_class = serializers.DealSerializer
    pagination_class = CrmPagination

    def get_queryset(self) -> QuerySet:
        qs = Deal.objects.visible_to(self.request.user).for_display()
        if self.action == "list":
            qs, _applied = filter_deals(
                qs,
                self.request.query_params,
                user=self.request.user,
                today=timezone.localdate(),
                stale_days=settings.CRM_STALE_DAYS,
            )
        return qs

    def _input(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _done(self, deal: Deal, before: dict | None, code: int = status.HTTP_200_OK) -> Response:
        record_changes(deal, before, by=self.request.user)
        return Response(serializers.DealSerializer(deal).data, status=code)

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = self._input(serializers.DealCreateSerializer)
        try:
            with transaction.atomic():
                deal = create_deal(by=request.user, **data)
                return self._done(deal, None, status.HTTP_201_CREATED)
        except DealError as exc:
            raise ValidationError({"detail": str(exc)}) from exc

    def update(self, request: Request, *args, partial: bool = False, **kwargs) -> Response:
        deal = self.get_object()
        serializer = serializers.DealEditSerializer(
            deal, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        has_probability = "probability" in changes
        probability = changes.pop("probability", None)
        before = snapshot(deal)
        try:
            with transaction.atomic():
                deal.apply_edit(changes, version=version)
                if has_probability and probability is None:
                    deal.clear_probability_override()
                elif has_probability:
                    deal.set_probability(probability)
                return self._done(deal, before)
        except StaleEdit as exc:
            return _stale(exc)
        except DealError as exc:
            raise ValidationError({"detail": str(exc)}) from exc

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def _verb(self, serializer_class, apply) -> Response:
        deal = self.get_object()
        data = self._input(serializer_class)
        version = data.pop("version", None)
        before = snapshot(deal)
        try:
            with transaction.atomic():
                if version is not None and version != deal.version:
                    raise StaleEdit(deal)
                apply(deal, data)
                return self._done(deal, before)
        except StaleEdit as exc:
            return _stale(exc)
        except DealError as exc:
            raise ValidationError({"detail": str(exc)}) from exc

    @extend_schema(
        request=serializers.DealMoveSerializer, responses={200: serializers.DealSerializer, **_DEAL_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def move(self, request: Request, *args, **kwargs) -> Response:
        """Move the deal to another stage (by key); reaching the won stage wins it."""
        return self._verb(
            serializers.DealMoveSerializer, lambda d, data: d.move_to(data["stage"], by=request.user)
        )

    @extend_schema(
        request=serializers.DealWonSerializer, responses={200: serializers.DealSerializer, **_DEAL_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def won(self, request: Request, *args, **kwargs) -> Response:
        """Win the deal: move it to the won stage (400 if it is not open or no stage wins deals)."""
        return self._verb(serializers.DealWonSerializer, lambda d, data: d.win(by=request.user))

    @extend_schema(
        request=serializers.DealLostSerializer, responses={200: serializers.DealSerializer, **_DEAL_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def lost(self, request: Request, *args, **kwargs) -> Response:
        """Mark the deal lost, with the reason."""
        return self._verb(
            serializers.DealLostSerializer,
            lambda d, data: d.mark_lost(data["reason"], by=request.user, on=data.get("on")),
        )
