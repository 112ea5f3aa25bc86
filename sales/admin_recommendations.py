"""The stored suggestions in the admin: to look at, never to edit (the next rebuild replaces them)."""

from django.contrib import admin

from sales.models import CustomerSuggestion, RecommendationRow


class RebuiltAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RecommendationRow)
class RecommendationRowAdmin(RebuiltAdmin):
    list_display = ["kind", "key", "size", "built_at"]
    list_filter = ["kind"]
    search_fields = ["key"]


@admin.register(CustomerSuggestion)
class CustomerSuggestionAdmin(RebuiltAdmin):
    list_display = ["customer", "product", "anchor", "together", "score", "built_at"]
    search_fields = ["customer__name", "product__name"]
    list_select_related = ["customer", "product", "anchor"]
