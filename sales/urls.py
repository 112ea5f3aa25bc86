from django.urls import path

from sales.views import dashboard, home, records
from sales.views import exports as export_views
from sales.views import imports as import_views

app_name = "sales"

urlpatterns = [
    path("", home.my_day, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("deals/export/", export_views.deal_export, name="deal_export"),
    path("sales-records/", records.salesrecord_list, name="salesrecord_list"),
    path("sales-records/export/", export_views.salesrecord_export, name="salesrecord_export"),
    path("imports/", import_views.import_upload, name="import_upload"),
    path("imports/map/", import_views.import_map, name="import_map"),
    path("imports/preview/", import_views.import_preview, name="import_preview"),
    path("imports/commit/", import_views.import_commit, name="import_commit"),
    path("imports/mapping.json", import_views.import_mapping_json, name="import_mapping_json"),
]
