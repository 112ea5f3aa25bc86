from django.urls import path

from sales.views import dashboard, home, records
from sales.views import exports as export_views

app_name = "sales"

urlpatterns = [
    path("", home.my_day, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("deals/export/", export_views.deal_export, name="deal_export"),
    path("sales-records/", records.salesrecord_list, name="salesrecord_list"),
    path("sales-records/export/", export_views.salesrecord_export, name="salesrecord_export"),
]
