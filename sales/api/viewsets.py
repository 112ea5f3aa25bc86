"""API views. Every queryset starts from ``visible_to(request.user)``, so another rep's id is a 404."""

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from customers.filters import ContactFilterSet
from customers.models import Contact, Customer
from history.versions import StaleVersion
from sales.actions import create_deal
from sales.api import serializers
from sales.api.authentication import API_AUTHENTICATION
from sales.api.permissions import PlansAreWrittenByManagers
from sales.filters.activities import ActivityFilterSet
from sales.filters.customers import CustomerFilterSet
from sales.filters.deals import DealFilterSet
from sales.filters.plans import SalesPlanFilterSet
from sales.filters.records import SalesRecordFilterSet
from sales.models import (
    Activity,
    Deal,
    DealError,
    LostReason,
    Product,
    SalesPlan,
    SalesRecord,
    StaleEdit,
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


# The serializers check unique values first; a row written meanwhile by someone else can still reach
# the database's constraint, which is a conflict, not a server error.
TAKEN_MEANWHILE = gettext_lazy(
    "Another record has just taken one of these unique values (such as the external id)."
)


class CrmPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class IgnoreInvalidFilters(DjangoFilterBackend):
    """The list's FilterSet, as on its page: a value that does not parse is ignored, not a 400."""

    raise_exception = False


class ListFilters:
    """Lists filter with ``filterset_class`` (which also documents their query parameters); a
    single record is found by its id alone, whatever the query string says."""

    filter_backends = [IgnoreInvalidFilters]
    filterset_class = None

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class VisibleModelViewSet(ListFilters, viewsets.ModelViewSet):
    """A model viewset whose rows are what the user may see."""

    authentication_classes = API_AUTHENTICATION
    model = None
    related: tuple[str, ...] = ()
    pagination_class = CrmPagination

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user).select_related(*self.related)

    def perform_create(self, serializer) -> None:
        self._write(serializer.save)

    def perform_update(self, serializer) -> None:
        self._write(serializer.save)

    def _write(self, save) -> None:
        try:
            with transaction.atomic():
                save()
        except IntegrityError as exc:
            raise Conflict(TAKEN_MEANWHILE) from exc

    def perform_destroy(self, instance) -> None:
        try:
            instance.delete()
        except ProtectedError as exc:
            raise Conflict(
                _("%(name)s is still used by other records (deals or sales records) and cannot be deleted.")
                % {"name": instance}
            ) from exc


class VersionedUpdates:
    """An edit made from an older ``version`` than the record's is refused with 409 and the record
    as it now is, so nobody overwrites a change they have not seen."""

    def update(self, request: Request, *args, **kwargs) -> Response:
        try:
            with transaction.atomic():
                return super().update(request, *args, **kwargs)
        except StaleVersion as exc:
            body = {"detail": str(exc), "current": self.get_serializer(exc.current).data}
            return Response(body, status=status.HTTP_409_CONFLICT)


def _versioned(cls):
    """Document the 409 that ``VersionedUpdates`` answers a stale edit of ``cls``'s records with."""
    stale = serializers.stale_serializer(cls.serializer_class)
    responses = {
        200: cls.serializer_class,
        409: OpenApiResponse(stale, description="The record changed since `version`."),
    }
    return extend_schema_view(
        update=extend_schema(responses=responses), partial_update=extend_schema(responses=responses)
    )(cls)


@_versioned
class CustomerViewSet(VersionedUpdates, VisibleModelViewSet):
    model = Customer
    related = ("owner",)
    serializer_class = serializers.CustomerSerializer
    filterset_class = CustomerFilterSet


@_versioned
class ContactViewSet(VersionedUpdates, VisibleModelViewSet):
    model = Contact
    related = ("customer",)
    serializer_class = serializers.ContactSerializer
    filterset_class = ContactFilterSet


@_versioned
class ActivityViewSet(VersionedUpdates, VisibleModelViewSet):
    model = Activity
    related = ("owner",)
    serializer_class = serializers.ActivitySerializer
    filterset_class = ActivityFilterSet


@extend_schema_view(
    destroy=extend_schema(
        responses={
            204: None,
            400: OpenApiResponse(
                serializers.ErrorSerializer,
                description="The sale of a won deal, a reversed sale or the entry reversing it.",
            ),
        }
    ),
)
class SalesRecordViewSet(VisibleModelViewSet):
    model = SalesRecord
    related = ("owner", "customer")
    serializer_class = serializers.SalesRecordSerializer
    filterset_class = SalesRecordFilterSet

    def perform_destroy(self, instance: SalesRecord) -> None:
        # The record is what the won deal realised: deleting it would leave a won deal with no sale
        # and drop revenue from every report without a trace. Only undoing the win may remove it.
        # The message leaves out the deal: the record's owner need not be the deal's.
        if not instance.in_force:
            message = _("A reversed sale and the entry reversing it are kept as they were booked.")
            raise ValidationError({"detail": message})
        if instance.deal is not None and instance.deal.status == Deal.Status.WON:
            message = _("This is the sale of a won deal; it cannot be deleted while the deal stays won.")
            raise ValidationError({"detail": message})
        super().perform_destroy(instance)


class SalesPlanViewSet(VisibleModelViewSet):
    model = SalesPlan
    related = ("team", "rep")
    serializer_class = serializers.SalesPlanSerializer
    permission_classes = [*VisibleModelViewSet.permission_classes, PlansAreWrittenByManagers]
    filterset_class = SalesPlanFilterSet


class LostReasonViewSet(viewsets.ReadOnlyModelViewSet):
    """The lost reasons a deal can be lost for (the active ones), to look up ids for the lost action."""

    authentication_classes = API_AUTHENTICATION
    serializer_class = serializers.LostReasonSerializer
    pagination_class = CrmPagination

    def get_queryset(self) -> QuerySet:
        return LostReason.objects.visible_to(self.request.user).active()


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
    create=extend_schema(
        request=serializers.DealCreateSerializer,
        responses={
            201: serializers.DealSerializer,
            409: OpenApiResponse(description="The external id was taken by another record meanwhile."),
        },
    ),
    update=extend_schema(
        request=serializers.DealEditSerializer, responses={200: serializers.DealSerializer, **_DEAL_ERRORS}
    ),
    partial_update=extend_schema(
        request=serializers.DealEditSerializer, responses={200: serializers.DealSerializer, **_DEAL_ERRORS}
    ),
)
class DealViewSet(
    ListFilters,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Deals. Stage and status change only through the move, won, lost and reopen actions."""

    authentication_classes = API_AUTHENTICATION
    serializer_class = serializers.DealSerializer
    pagination_class = CrmPagination
    filterset_class = DealFilterSet

    def get_queryset(self) -> QuerySet:
        return Deal.objects.visible_to(self.request.user).for_display()

    def _input(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _done(self, deal: Deal, code: int = status.HTTP_200_OK) -> Response:
        return Response(serializers.DealSerializer(deal).data, status=code)

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = self._input(serializers.DealCreateSerializer)
        try:
            with transaction.atomic():
                deal = create_deal(by=request.user, **data)
                return self._done(deal, status.HTTP_201_CREATED)
        except DealError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        except IntegrityError as exc:  # an external id taken since the serializer checked it
            raise Conflict(TAKEN_MEANWHILE) from exc

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
        try:
            with transaction.atomic():
                deal.apply_edit(changes, version=version)
                if has_probability and probability is None:
                    deal.clear_probability_override()
                elif has_probability:
                    deal.set_probability(probability)
                return self._done(deal)
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
        try:
            with transaction.atomic():
                if version is not None and version != deal.version:
                    raise StaleEdit(deal)
                apply(deal, data)
                return self._done(deal)
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
        """Mark the deal lost, with a reason from the list (and a note, which "Other" needs)."""

        def lose(deal: Deal, data: dict) -> None:
            deal.mark_lost(data["reason"], note=data["note"], by=request.user, on=data.get("on"))

        return self._verb(serializers.DealLostSerializer, lose)

    @extend_schema(
        request=serializers.DealReopenSerializer,
        responses={
            200: serializers.DealSerializer,
            **_DEAL_ERRORS,
            403: OpenApiResponse(
                serializers.ErrorSerializer,
                description="Only the deal's owner, their managers and admins may reopen it.",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, *args, **kwargs) -> Response:
        """Put a won or lost deal back in an open stage (400 if it is open). A won deal's sale is
        reversed by an entry dated today; the sale stays in the period it was booked in."""
        return self._verb(
            serializers.DealReopenSerializer,
            lambda d, data: d.reopen(data["stage"], by=request.user, note=data["note"]),
        )
