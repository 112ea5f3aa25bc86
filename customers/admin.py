from django.contrib import admin

from customers.models import Contact, Customer
from history.admin import HistoryAdminMixin


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "email", "phone", "is_primary"]


@admin.register(Customer)
class CustomerAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "industry", "region", "channel", "owner", "need", "created_at"]
    list_filter = ["kind", "region", "channel", "industry", "owner"]
    search_fields = ["name", "email", "phone", "external_id"]
    autocomplete_fields = ["owner"]
    date_hierarchy = "created_at"
    list_select_related = ["owner"]
    inlines = [ContactInline]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Contact)
class ContactAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "customer", "title", "email", "phone", "is_primary"]
    list_filter = ["is_primary"]
    search_fields = ["name", "email", "customer__name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
