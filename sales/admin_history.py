"""Change history in the Django admin: a read-only block on the change page of a customer or deal."""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from sales.history import history_for

HISTORY_FIELD = "change_history"


class HistoryAdminMixin:
    """Mix into a ModelAdmin (before ``admin.ModelAdmin``) to show the object's change history.

    The history gets its own collapsible fieldset on the change page; the add page has none.
    Every value is escaped by ``format_html``.
    """

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, HISTORY_FIELD] if obj is not None else fields

    def get_fields(self, request, obj=None):
        return [f for f in super().get_fields(request, obj) if f != HISTORY_FIELD]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != HISTORY_FIELD]})
            for name, options in super().get_fieldsets(request, obj)
        ]
        if obj is None:
            return fieldsets
        return [*fieldsets, (_("Change history"), {"fields": [HISTORY_FIELD], "classes": ["collapse"]})]

    @admin.display(description=_("Change history"))
    def change_history(self, obj) -> str:
        entries = history_for(obj, user=None)
        if not entries:
            return _("No changes recorded yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(entry.when).strftime("%Y-%m-%d %H:%M"),
                    entry.who,
                    entry.action_label,
                    c.label,
                    c.old,
                    c.new,
                )
                for entry in entries
                for c in entry.changes
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("When"),
            _("Who"),
            _("Action"),
            _("Field"),
            _("Old value"),
            _("New value"),
            rows,
        )
