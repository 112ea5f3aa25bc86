"""Serializers of the API. Related records are accepted only if the requesting user can see them."""

import copy
import functools
import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from customers.models import Contact, Customer
from people.models import Team
from people.names import display_name
from people.visibility import is_admin, visible_owners
from sales.models import (
    Activity,
    Deal,
    LostReason,
    Product,
    SalesPlan,
    SalesRecord,
    Stage,
    contact_customer_error,
    deal_customer_error,
)

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,30}")

# A write stores version + 1 in a 32-bit column: a version past this could only overflow it.
MAX_VERSION = 2**31 - 2


def _user(serializer_field: serializers.Field):
    return serializer_field.context["request"].user


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key by id, limited to ``Model.objects.visible_to(user)``.

    An id the user cannot see gets the same answer as one that does not exist, so the API never
    confirms that another rep's record is there.
    """

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model.objects.none())
        kwargs.setdefault(
            "error_messages",
            {
                "does_not_exist": _("No %(name)s with id {pk_value} that you can see.")
                % {"name": model._meta.verbose_name}
            },
        )
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.model.objects.visible_to(_user(self))


class VisibleOwnerField(serializers.PrimaryKeyRelatedField):
    """A user by id whom the requester may give records to: themselves, their team, anyone for admins."""

    default_error_messages = {
        "does_not_exist": _("User {pk_value} is not someone you can assign records to."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        user = _user(self)
        users = get_user_model().objects.filter(is_active=True)
        owners = visible_owners(user)
        return users if owners is None else users.filter(pk__in=owners)


class StageKeyField(serializers.SlugRelatedField):
    """A stage by its key; text that cannot be a key is "not found" without asking the database.

    (PostgreSQL raises on a NUL byte in a query instead of finding nothing.)
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Stage.objects.all())
        super().__init__(slug_field="key", **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and not SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


# External ids are unique across the whole CRM, so refusing a duplicate always tells the caller that
# the id is in use somewhere. The answer is kept to that: the same words whether the record holding
# the id is the caller's own or one they may not see, naming neither its kind, owner nor id.
EXTERNAL_ID_TAKEN = _("This external id is taken; external ids are unique across the CRM, so choose another.")


def _unique_external_id(model) -> dict:
    return {"validators": [UniqueValidator(model.objects.all(), message=EXTERNAL_ID_TAKEN)]}


class OwnerNameMixin(serializers.Serializer):
    owner_name = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField())
    def get_owner_name(self, obj) -> str:
        return display_name(obj.owner)


class VersionedSerializerMixin(serializers.Serializer):
    """Reads back the record's version, and an edit may send the version it was made from."""

    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        required=False,
        help_text=_(
            "The version this edit was made from; when the record has been saved since, the edit "
            "is refused with 409 and the record as it now is. Left out, the edit applies to the "
            "latest version."
        ),
    )

    def create(self, validated_data: dict):
        validated_data.pop("version", None)
        return super().create(validated_data)


class CustomerSerializer(VersionedSerializerMixin, OwnerNameMixin, serializers.ModelSerializer):
    owner = VisibleOwnerField(default=serializers.CurrentUserDefault())

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "kind",
            "industry",
            "region",
            "channel",
            "owner",
            "owner_name",
            "email",
            "phone",
            "website",
            "address",
            "need",
            "notes",
            "external_id",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"external_id": _unique_external_id(Customer)}
        read_only_fields = ["created_at", "updated_at"]


class ContactSerializer(VersionedSerializerMixin, serializers.ModelSerializer):
    customer = VisibleRelatedField(Customer)
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "customer_name",
            "name",
            "title",
            "email",
            "phone",
            "is_primary",
            "version",
        ]


class DealSerializer(OwnerNameMixin, serializers.ModelSerializer):
    """A deal as read; writes go through the create, edit and action serializers below."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    stage = serializers.SlugRelatedField(slug_field="key", read_only=True)
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True, default=None, allow_null=True)
    contact_name = serializers.CharField(source="contact.name", read_only=True, default=None, allow_null=True)
    lost_reason_name = serializers.CharField(
        source="lost_reason.name", read_only=True, default=None, allow_null=True
    )
    weighted_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "customer",
            "customer_name",
            "owner",
            "owner_name",
            "amount",
            "weighted_amount",
            "stage",
            "stage_name",
            "probability",
            "probability_overridden",
            "status",
            "lost_reason",
            "lost_reason_name",
            "lost_note",
            "opened_on",
            "expected_close",
            "original_expected_close",
            "closed_on",
            "channel",
            "product",
            "product_name",
            "contact",
            "contact_name",
            "external_id",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _probability(help_text: str) -> serializers.DecimalField:
    """A deal's probability in per cent, optional: without one the stage's default applies."""
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        help_text=help_text,
    )


class DealCreateSerializer(serializers.ModelSerializer):
    customer = VisibleRelatedField(Customer)
    owner = VisibleOwnerField(default=serializers.CurrentUserDefault())
    stage = StageKeyField(
        required=False, help_text=_("Key of an open stage; the first open stage by default.")
    )
    probability = _probability(_("Set to override the stage's default probability."))
    product = VisibleRelatedField(Product, required=False, allow_null=True)
    contact = VisibleRelatedField(
        Contact, required=False, allow_null=True, help_text=_("One of the customer's contacts.")
    )

    class Meta:
        model = Deal
        fields = [
            "title",
            "customer",
            "owner",
            "amount",
            "stage",
            "probability",
            "opened_on",
            "expected_close",
            "channel",
            "product",
            "contact",
            "external_id",
        ]
        extra_kwargs = {"external_id": _unique_external_id(Deal)}

    def validate_stage(self, stage: Stage) -> Stage:
        # Winning is a step of its own (it writes the sale and counts in the win rate), as on the
        # pages, which offer only open stages for a new deal.
        if not stage.is_open:
            raise serializers.ValidationError(
                _("Open the deal in an open stage and win it with the won action.")
            )
        return stage

    def validate(self, attrs: dict) -> dict:
        return _contact_of_customer(self, attrs)


class DealEditSerializer(serializers.ModelSerializer):
    """An edit of the deal's own fields, made from the copy at ``version``."""

    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        help_text=_("The version of the deal the edit was made from; a stale version gets 409."),
    )
    customer = VisibleRelatedField(Customer)
    owner = VisibleOwnerField()
    product = VisibleRelatedField(Product, required=False, allow_null=True)
    contact = VisibleRelatedField(
        Contact, required=False, allow_null=True, help_text=_("One of the customer's contacts.")
    )
    probability = _probability(
        _("A number overrides the stage's default probability; null goes back to the default.")
    )

    class Meta:
        model = Deal
        fields = [
            "version",
            "title",
            "customer",
            "owner",
            "amount",
            "probability",
            "opened_on",
            "expected_close",
            "channel",
            "product",
            "contact",
        ]

    def validate(self, attrs: dict) -> dict:
        # A partial update skips "required"; without the version an edit could overwrite blindly.
        if "version" not in attrs:
            raise serializers.ValidationError({"version": _("This field is required.")})
        return _contact_of_customer(self, attrs)


def _contact_of_customer(serializer: serializers.ModelSerializer, attrs: dict) -> dict:
    """The deal's contact (sent, else kept) must work at its customer (sent, else kept)."""
    contact = attrs.get("contact", getattr(serializer.instance, "contact", None))
    customer = attrs.get("customer", getattr(serializer.instance, "customer", None))
    if error := contact_customer_error(contact, customer):
        raise serializers.ValidationError({"contact": error})
    return attrs


class DealMoveSerializer(serializers.Serializer):
    stage = StageKeyField(help_text=_("Stage key, such as choose or buy."))
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        required=False,
        help_text=_("Refuse the move if the deal changed."),
    )


class DealWonSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION, required=False)


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "The id or the name of an active lost reason (GET /api/lost-reasons/).",
    }
)
class LostReasonField(serializers.Field):
    """An active lost reason by its id or its name (in any case); anything else is a 400 that lists them."""

    default_error_messages = {
        "unknown": _("“{value}” is not a lost reason; use one of: {names}."),
    }

    def to_internal_value(self, data) -> LostReason:
        reasons = list(LostReason.objects.active())
        text = str(data).strip()
        for reason in reasons:
            names = {reason.name.casefold(), reason.local_name.casefold()}
            if text == str(reason.pk) or text.casefold() in names:
                return reason
        self.fail("unknown", value=text[:100], names=", ".join(r.name for r in reasons))

    def to_representation(self, value: LostReason) -> int:
        return value.pk


class DealLostSerializer(serializers.Serializer):
    reason = LostReasonField(
        help_text=_("Why the deal was lost: the id or name of an active lost reason (required).")
    )
    note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Says more; required for a reason that needs a note, such as “Other”."),
    )
    on = serializers.DateField(required=False, help_text=_("The day it was lost; today by default."))
    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION, required=False)


class DealReopenSerializer(serializers.Serializer):
    stage = StageKeyField(help_text=_("Key of the open stage the deal goes back to, such as choose."))
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        help_text=_("The version of the deal the reopening was decided on; a stale version gets 409."),
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text=_("Why it is reopened.")
    )

    def validate_stage(self, stage: Stage) -> Stage:
        if not stage.is_open:
            raise serializers.ValidationError(_("Reopen the deal in an open stage."))
        return stage


class LostReasonSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = LostReason
        fields = ["id", "name", "local_name", "display_name", "needs_note", "order"]
        read_only_fields = fields


class StaleEditSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = DealSerializer()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _deal_and_customer(serializer: serializers.ModelSerializer, attrs: dict) -> tuple:
    """The deal and customer a record will name (sent, else kept); the deal must be the customer's."""
    deal = attrs.get("deal", getattr(serializer.instance, "deal", None))
    customer = attrs.get("customer", getattr(serializer.instance, "customer", None))
    if error := deal_customer_error(deal, customer):
        raise serializers.ValidationError({"customer": error})
    return deal, customer


class ActivitySerializer(VersionedSerializerMixin, OwnerNameMixin, serializers.ModelSerializer):
    owner = VisibleOwnerField(default=serializers.CurrentUserDefault())
    deal = VisibleRelatedField(Deal, required=False, allow_null=True)
    customer = VisibleRelatedField(Customer, required=False, allow_null=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "notes",
            "deal",
            "customer",
            "owner",
            "owner_name",
            "due_at",
            "remind_before",
            "remind_at",
            "done_at",
            "outcome",
            "external_id",
            "version",
            "created_at",
        ]
        extra_kwargs = {"external_id": _unique_external_id(Activity)}
        read_only_fields = ["created_at", "remind_at"]

    def validate(self, attrs: dict) -> dict:
        deal, customer = _deal_and_customer(self, attrs)
        if deal is None and customer is None:
            raise serializers.ValidationError(_("Link the activity to a deal or a customer."))
        due_at = attrs.get("due_at", getattr(self.instance, "due_at", None))
        remind_before = attrs.get("remind_before", getattr(self.instance, "remind_before", None))
        if remind_before is not None and due_at is None:
            raise serializers.ValidationError({"remind_before": _("A reminder needs a due time.")})
        return attrs


class SalesRecordSerializer(OwnerNameMixin, serializers.ModelSerializer):
    customer = VisibleRelatedField(Customer)
    owner = VisibleOwnerField(default=serializers.CurrentUserDefault())
    deal = VisibleRelatedField(Deal, required=False, allow_null=True)
    product = VisibleRelatedField(Product, required=False, allow_null=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = SalesRecord
        fields = [
            "id",
            "customer",
            "customer_name",
            "owner",
            "owner_name",
            "deal",
            "product",
            "amount",
            "sold_on",
            "note",
            "reverses",
            "reversed_on",
            "external_id",
            "created_at",
        ]
        extra_kwargs = {"external_id": _unique_external_id(SalesRecord)}
        read_only_fields = ["reverses", "reversed_on", "created_at"]
        # The one-sale-in-force rule is checked in ``validate`` (a reversed sale does not count); the
        # validator DRF derives from the conditional constraint would make ``deal`` required.
        validators = []

    def validate(self, attrs: dict) -> dict:
        record = self.instance
        if record is not None and not record.in_force:
            raise serializers.ValidationError(
                {"detail": _("A reversed sale and the entry reversing it are kept as they were booked.")}
            )
        deal, _customer = _deal_and_customer(self, attrs)
        # A deal has one sale in force at a time (the database holds it too); a reversed one does not
        # count, so a deal reopened and won again gets its new sale.
        if deal is not None:
            others = SalesRecord.objects.in_force().filter(deal=deal)
            if record is not None:
                others = others.exclude(pk=record.pk)
            if others.exists():
                raise serializers.ValidationError(
                    {"deal": _("This deal already has its sales record; change that record instead.")}
                )
        return attrs


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "category", "list_price", "active"]
        read_only_fields = fields


class PlanTeamField(serializers.PrimaryKeyRelatedField):
    """Managers plan for the teams they manage; admins for any team."""

    default_error_messages = {"does_not_exist": _("Team {pk_value} is not a team you can plan for.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Team.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        user = _user(self)
        return Team.objects.all() if is_admin(user) else Team.objects.managed_by(user)


class SalesPlanSerializer(serializers.ModelSerializer):
    team = PlanTeamField(required=False, allow_null=True)
    rep = VisibleOwnerField(required=False, allow_null=True)

    class Meta:
        model = SalesPlan
        fields = [
            "id",
            "name",
            "period_start",
            "period_end",
            "scope",
            "team",
            "rep",
            "region",
            "channel",
            "product_category",
            "target_ratio",
            "activity_ratio",
            "revenue_quota",
            "activities_quota",
            "external_id",
            "created_at",
        ]
        extra_kwargs = {"external_id": _unique_external_id(SalesPlan)}
        read_only_fields = ["created_at"]

    def validate(self, attrs: dict) -> dict:
        # The plan as it would be saved, checked by the model's own rules (as the admin checks it);
        # a copy, so a refused edit leaves the instance as it was read.
        plan = copy.copy(self.instance) if self.instance is not None else SalesPlan()
        for name, value in attrs.items():
            setattr(plan, name, value)
        try:
            plan.clean()
            errors = {}
        except DjangoValidationError as exc:
            errors = exc.message_dict
        if plan.scope == SalesPlan.Scope.COMPANY and not is_admin(self.context["request"].user):
            errors.setdefault("scope", []).append(_("Only an admin plans for the whole company."))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


@functools.cache
def stale_serializer(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The body of a 409 to an edit of a versioned record: why, and the record as it now is."""
    name = serializer_class.__name__.removesuffix("Serializer")
    fields = {
        "__module__": __name__,
        "detail": serializers.CharField(),
        # Absent when the conflict is a unique value taken meanwhile rather than a newer version.
        "current": serializer_class(required=False),
    }
    return type(f"Stale{name}Serializer", (serializers.Serializer,), fields)
