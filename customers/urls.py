from django.urls import path
from django.views.decorators.http import require_safe

from customers import views

app_name = "customers"

# The list and the customer page (with deals and sales) are routed by the sales app under /customers/.
urlpatterns = [
    path("new/", views.customer_create, name="customer_create"),
    path("options/", require_safe(views.customer_options), name="customer_options"),
    path("<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("contacts/options/", require_safe(views.contact_options), name="contact_options"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
]
