from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from history.models import ChangeLog, record_deleted_in_bulk
from history.readable import history_for
from history.versions import StaleVersion, VersionedAdminForm


class HistoryAdminMixin:
    """Mix into the ModelAdmin of a tracked model (before ``admin.ModelAdmin``): its History button
    shows the change history the pages show, whatever path made each change."""

    object_history_template = "admin/history/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change history: %s") % obj,
            "subtitle": None,
            "history": history_for(obj, user=request.user),
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def delete_queryset(self, request, queryset) -> None:
        # The list's "delete selected" deletes in one query, past each row's delete(); record first.
        with transaction.atomic():
            record_deleted_in_bulk(list(queryset))
            super().delete_queryset(request, queryset)


class VersionedAdminMixin:
    """Mix into the ModelAdmin of a ``Versioned`` model: an edit over a newer save is refused."""

    form = VersionedAdminForm

    def save_model(self, request, obj, form, change) -> None:
        try:
            super().save_model(request, obj, form, change)
        except StaleVersion as stale:
            # Saved by someone else between the form's check and this save: keep theirs.
            messages.error(request, str(stale))

    def save_formset(self, request, form, formset, change) -> None:
        try:
            super().save_formset(request, form, formset, change)
        except StaleVersion as stale:
            messages.error(request, str(stale))


class ReadOnlyAdminMixin:
    """For records that are written by the model layer only: admin lists and shows them, nothing more."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChangeLog)
class ChangeLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "content_type", "object_id", "action", "changed_by"]
    list_filter = ["content_type", "action"]
    date_hierarchy = "changed_at"
    list_select_related = ["content_type", "changed_by"]
