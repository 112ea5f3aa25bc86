from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import throttle
from accounts.forms import AdminLoginForm
from accounts.models import AuditEvent, SignInThrottle
from people.visibility import is_admin

# The admin's own sign-in page tells a locked-out user so, like the CRM's.
admin.site.login_form = AdminLoginForm


class LockedFilter(admin.SimpleListFilter):
    title = _("locked")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("Locked now"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.locked(timezone.now(), throttle.current_policy().window)
        return queryset


@admin.register(SignInThrottle)
class SignInThrottleAdmin(admin.ModelAdmin):
    """Read-only: the counts are the sign-in code's; an admin may only lift a lockout."""

    list_display = ["key", "scope", "failures", "window_started", "locked_until", "is_locked"]
    list_filter = [LockedFilter, "scope"]
    search_fields = ["key"]
    actions = ["unlock"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("locked until"))
    def locked_until(self, row: SignInThrottle):
        return row.locked_until(throttle.current_policy().window)

    @admin.display(description=_("locked now"), boolean=True)
    def is_locked(self, row: SignInThrottle) -> bool:
        until = row.locked_until(throttle.current_policy().window)
        return until is not None and until > timezone.now()

    @admin.action(description=_("Unlock: allow sign-ins again"), permissions=["delete"])
    def unlock(self, request, queryset):
        count = throttle.unlock(queryset, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d lockout lifted.", "%(count)d lockouts lifted.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only, for administrators: the log is written by the CRM alone and never edited."""

    list_display = ["at", "kind", "actor_name", "ip", "target_type", "target_id", "detail"]
    list_filter = ["kind", ("at", admin.DateFieldListFilter), "target_type"]
    search_fields = ["actor_name", "ip", "target_id"]
    date_hierarchy = "at"
    list_select_related = False

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
