from django.contrib import admin

from dataio.models import ExportJob, ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "filename", "state", "rows_done", "rows_total"]
    list_filter = ["state", "kind"]
    search_fields = ["filename", "user__username"]
    exclude = ["data"]
    raw_id_fields = ["user"]


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "format", "state", "rows_done", "rows_total"]
    list_filter = ["state", "kind"]
    search_fields = ["filename", "user__username"]
    exclude = ["content"]
    raw_id_fields = ["user"]
