from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer
from history.admin import HistoryAdminMixin, VersionedAdminMixin


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "email", "phone", "is_primary"]


@admin.register(Customer)
class CustomerAdmin(VersionedAdminMixin, HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "industry", "region", "channel", "owner", "need", "created_at"]
    list_filter = ["kind", "region", "channel", "industry", "owner"]
    search_fields = ["name", "email", "phone", "external_id"]
    autocomplete_fields = ["owner"]
    date_hierarchy = "created_at"
    list_select_related = ["owner"]
    inlines = [ContactInline]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["export_personal_data", "erase_personal_data"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def _one(self, request, queryset) -> Customer | None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one customer."), messages.WARNING)
            return None
        return queryset.get()

    # The export and the erasure (with its typed confirmation) are the CRM's privacy pages; the
    # actions lead there, so both doors behave and are audited alike.
    @admin.action(description=_("Export personal data (JSON)"))
    def export_personal_data(self, request, queryset):
        customer = self._one(request, queryset)
        return customer and redirect("sales:customer_privacy_export", pk=customer.pk)

    @admin.action(description=_("Erase personal data…"))
    def erase_personal_data(self, request, queryset):
        customer = self._one(request, queryset)
        return customer and redirect("sales:customer_privacy", pk=customer.pk)


@admin.register(Contact)
class ContactAdmin(VersionedAdminMixin, HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "customer", "title", "email", "phone", "is_primary"]
    actions = ["export_personal_data", "erase_personal_data"]
    list_filter = ["is_primary"]
    search_fields = ["name", "email", "customer__name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def _one(self, request, queryset) -> Contact | None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one contact."), messages.WARNING)
            return None
        return queryset.get()

    @admin.action(description=_("Export personal data (JSON)"))
    def export_personal_data(self, request, queryset):
        contact = self._one(request, queryset)
        return contact and redirect("sales:contact_privacy_export", pk=contact.pk)

    @admin.action(description=_("Erase personal data…"))
    def erase_personal_data(self, request, queryset):
        contact = self._one(request, queryset)
        return contact and redirect("sales:contact_privacy", pk=contact.pk)
