from django.contrib import admin

from automation.models import DailyRun, Digest, Heartbeat, Notification, PipelineSnapshot, Profile, Reminder
from people.admin import VisibleAdminMixin


@admin.register(Profile)
class ProfileAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["user", "language", "daily_digest", "weekly_digest", "reminder_emails"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(Notification)
class NotificationAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "text", "read_at"]
    search_fields = ["text", "user__username"]
    raw_id_fields = ["user"]


@admin.register(Reminder)
class ReminderAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["remind_at", "activity", "state", "worker", "attempts", "sent_at"]
    list_filter = ["state"]
    search_fields = ["activity__subject", "worker"]
    raw_id_fields = ["activity"]


@admin.register(Heartbeat)
class HeartbeatAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["worker", "beat_at", "started_at"]
    search_fields = ["worker"]


@admin.register(Digest)
class DigestAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["day", "kind", "user", "sent_at"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(DailyRun)
class DailyRunAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["day", "job", "done_at"]
    search_fields = ["job"]


@admin.register(PipelineSnapshot)
class PipelineSnapshotAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["day", "owner", "stage", "close_month", "deals", "amount", "weighted"]
    list_filter = ["day", "stage"]
    search_fields = ["owner__username"]
    raw_id_fields = ["owner"]
