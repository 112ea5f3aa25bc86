from django.contrib import admin

from history.admin import HistoryAdminMixin
from people.models import Team


class VisibleAdminMixin:
    """Admin lists go through visible_to too, so a staff account without superuser rights sees the same."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Team)
class TeamAdmin(HistoryAdminMixin, VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "manager"]
    search_fields = ["name", "manager__username"]
    autocomplete_fields = ["manager"]
    filter_horizontal = ["managers", "members"]
