from django.urls import path

from customers import views
from sales.views import exports as export_views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("export/", export_views.customer_export, name="customer_export"),
]
