from django.urls import path

from sales.views import dashboard, home

app_name = "sales"

urlpatterns = [
    path("", home.my_day, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
]
