from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from history.admin import HistoryAdminMixin, ReadOnlyAdminMixin, VersionedAdminMixin
from people.admin import VisibleAdminMixin
from sales import admin_recommendations  # noqa: F401  (registers the stored suggestions)
from sales.actions import open_deal
from sales.metrics.probabilities import forget_pipeline_odds, pipeline_odds
from sales.models import (
    Activity,
    Deal,
    DealError,
    LostReason,
    PipelineSettings,
    Product,
    Rollup,
    SalesPlan,
    SalesRecord,
    Stage,
    StageChange,
    contact_customer_error,
)


@admin.register(Stage)
class StageAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["order", "key", "name", "local_name", "kind", "default_probability"]
    list_display_links = ["key", "name"]
    ordering = ["order"]

    def get_list_display(self, request):
        # Read once per page (two queries), beside each stage's default.
        odds = pipeline_odds(timezone.localdate())
        learned = {s.stage_id: s for s in odds.learned(list(Stage.objects.all())).stages}

        @admin.display(description=_("learned probability (%)"))
        def learned_probability(stage) -> str:
            found = learned.get(stage.pk)
            if found is None or found.probability is None:
                return _("not enough data (%(n)s of %(m)s closed deals)") % {
                    "n": found.closed if found else 0,
                    "m": odds.minimum,
                }
            return _("%(p)s (%(won)s won of %(n)s closed deals)") % {
                "p": found.probability,
                "won": found.won,
                "n": found.closed,
            }

        return [*self.list_display, learned_probability]


@admin.register(PipelineSettings)
class PipelineSettingsAdmin(HistoryAdminMixin, admin.ModelAdmin):
    """One row: how stage probabilities are learned, and whether the pipeline uses them."""

    list_display = ["__str__", "window_months", "minimum_deals", "use_learned_probabilities"]

    def has_add_permission(self, request) -> bool:
        return not PipelineSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        obj.pk = 1
        super().save_model(request, obj, form, change)
        forget_pipeline_odds(timezone.localdate())


@admin.register(LostReason)
class LostReasonAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "local_name", "needs_note", "active", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active"]
    search_fields = ["name", "local_name"]
    ordering = ["order", "name"]


@admin.register(Product)
class ProductAdmin(HistoryAdminMixin, VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "category", "series", "list_price", "active"]
    list_filter = ["active", "category"]
    search_fields = ["name", "category", "series", "external_id"]


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "from_stage", "to_stage", "status", "changed_by", "amount", "probability"]
    readonly_fields = fields
    ordering = ["changed_at", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("deal", "from_stage", "to_stage", "changed_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = ["kind", "subject", "owner", "due_at", "done_at", "outcome"]
    autocomplete_fields = ["owner"]


class DealAdminForm(forms.ModelForm):
    class Meta:
        model = Deal
        fields = [
            "customer",
            "title",
            "owner",
            "amount",
            "stage",
            "probability",
            "probability_overridden",
            "opened_on",
            "expected_close",
            "channel",
            "product",
            "contact",
            "external_id",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["probability"].required = False
        self.fields["probability"].help_text = _("Leave empty to use the stage's default probability.")

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage")
        deal = self.instance
        if error := contact_customer_error(cleaned.get("contact"), cleaned.get("customer")):
            self.add_error("contact", error)
        if deal.pk and stage and stage.pk != deal.stage_id:
            if deal.status == Deal.Status.LOST:
                self.add_error("stage", _("A lost deal cannot move between stages."))
            elif deal.status == Deal.Status.WON and stage.is_open:
                self.add_error("stage", _("A won deal cannot go back to an open stage; reopen it instead."))
        return cleaned


@admin.register(Deal)
class DealAdmin(HistoryAdminMixin, VisibleAdminMixin, admin.ModelAdmin):
    form = DealAdminForm
    list_display = [
        "title",
        "customer",
        "owner",
        "stage",
        "status",
        "amount",
        "probability",
        "expected_close",
        "closed_on",
    ]
    list_filter = ["status", "stage", "owner", "channel", "product__category"]
    search_fields = ["title", "customer__name", "external_id"]
    date_hierarchy = "opened_on"
    list_select_related = ["customer", "owner", "stage", "lost_reason"]
    autocomplete_fields = ["customer", "owner", "product", "contact"]
    readonly_fields = [
        "status",
        "closed_on",
        "lost_reason",
        "lost_note",
        "version",
        "created_at",
        "updated_at",
    ]
    inlines = [StageChangeInline, ActivityInline]

    def save_model(self, request, obj, form, change) -> None:
        # Stage moves and probability go through the deal's verbs so admin edits are versioned and
        # recorded exactly like edits in the front office.
        if not change:
            obj.probability_overridden = obj.probability is not None
            open_deal(obj, by=request.user)
            return
        current = Deal.objects.select_related("stage").get(pk=obj.pk)
        plain = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name not in {"stage", "probability", "probability_overridden"}
        }
        try:
            if plain:
                current.apply_edit(plain, version=current.version)
            if "stage" in form.changed_data:
                current.move_to(form.cleaned_data["stage"], by=request.user)
            if "probability" in form.changed_data and form.cleaned_data["probability"] is not None:
                current.set_probability(form.cleaned_data["probability"])
            elif (
                "probability_overridden" in form.changed_data
                and not form.cleaned_data["probability_overridden"]
            ):
                current.clear_probability_override()
        except DealError as error:
            messages.error(request, str(error))
        obj.refresh_from_db()


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdminMixin, VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["deal", "from_stage", "to_stage", "status", "changed_at", "changed_by", "amount"]
    list_filter = ["to_stage", "status"]
    search_fields = ["deal__title"]
    date_hierarchy = "changed_at"
    list_select_related = ["deal", "from_stage", "to_stage", "changed_by"]


@admin.register(Rollup)
class RollupAdmin(ReadOnlyAdminMixin, VisibleAdminMixin, admin.ModelAdmin):
    """The dashboard's sums, for checking one against the rows it adds up (``rebuild_rollups``
    recomputes them all)."""

    list_display = [
        "day",
        "grain",
        "kind",
        "key",
        "tag",
        "owner",
        "product_id",
        "region",
        "channel",
        "n",
        "cents",
    ]
    list_filter = ["grain", "kind"]
    search_fields = ["owner__username", "region", "channel"]
    date_hierarchy = "day"
    list_select_related = ["owner"]


@admin.register(SalesRecord)
class SalesRecordAdmin(HistoryAdminMixin, VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["sold_on", "customer", "owner", "amount", "product", "deal", "reverses", "reversed_on"]
    list_filter = ["owner", "product__category"]
    readonly_fields = ["reverses", "reversed_on"]

    # A reversed sale and the entry reversing it stay as booked: the periods they are in add up.
    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and not obj.in_force:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and not obj.in_force:
            return False
        return super().has_delete_permission(request, obj)

    search_fields = ["customer__name", "note", "external_id"]
    date_hierarchy = "sold_on"
    list_select_related = ["customer", "owner", "product", "deal"]
    autocomplete_fields = ["customer", "owner", "deal", "product"]


@admin.register(Activity)
class ActivityAdmin(VersionedAdminMixin, HistoryAdminMixin, VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["subject", "kind", "owner", "deal", "customer", "due_at", "done_at"]
    list_filter = ["kind", "owner"]
    search_fields = ["subject", "notes", "deal__title", "customer__name"]
    date_hierarchy = "created_at"
    list_select_related = ["owner", "deal", "customer"]
    autocomplete_fields = ["owner", "deal", "customer"]


@admin.register(SalesPlan)
class SalesPlanAdmin(HistoryAdminMixin, VisibleAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "scope",
        "team",
        "rep",
        "period_start",
        "period_end",
        "target_ratio",
        "activity_ratio",
        "revenue_quota",
        "activities_quota",
    ]
    list_filter = ["scope", "team"]
    search_fields = ["name"]
    date_hierarchy = "period_start"
    list_select_related = ["team", "rep"]
