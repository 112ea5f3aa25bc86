from django.urls import path

from sales.views import home

app_name = "sales"

urlpatterns = [
    path("", home.my_day, name="home"),
]
