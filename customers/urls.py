from django.urls import path

from customers import views
from sales.views import exports as export_views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("new/", views.customer_create, name="customer_create"),
    path("export/", export_views.customer_export, name="customer_export"),
    path("options/", views.customer_options, name="customer_options"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:pk>/contacts/", views.contact_create, name="contact_create"),
    path("<int:pk>/activities/", views.customer_log_activity, name="customer_log_activity"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
]
