from django.urls import path
from django.views.decorators.http import require_safe

from automation import views

app_name = "automation"

urlpatterns = [
    path("health/", views.health, name="health"),
    path("dashboard/pipeline-trend/", require_safe(views.pipeline_trend), name="pipeline_trend"),
    path("notifications/", require_safe(views.notification_list), name="notifications"),
    path("notifications/bell/", require_safe(views.bell), name="bell"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/", require_safe(views.notification_open), name="notification_open"),
    path("accounts/preferences/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
