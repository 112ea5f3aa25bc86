from django.urls import path
from django.views.decorators.http import require_safe

from dataio.views import exports, imports

app_name = "dataio"

urlpatterns = [
    path("customers/export/", require_safe(exports.customer_export), name="customer_export"),
    path("deals/export/", require_safe(exports.deal_export), name="deal_export"),
    path("sales-records/export/", require_safe(exports.salesrecord_export), name="salesrecord_export"),
    path("exports/<int:pk>/", require_safe(exports.export_job), name="export_job"),
    path("exports/<int:pk>/download/", require_safe(exports.export_download), name="export_download"),
    path("imports/", imports.import_upload, name="import_upload"),
    path("imports/map/", imports.import_map, name="import_map"),
    path("imports/preview/", imports.import_preview, name="import_preview"),
    path("imports/commit/", imports.import_commit, name="import_commit"),
    path("imports/jobs/<int:pk>/", require_safe(imports.import_job), name="import_job"),
    path("imports/mapping.json", imports.import_mapping_json, name="import_mapping_json"),
]
