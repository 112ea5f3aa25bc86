from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.views import LoginView
from crm.views import favicon, page_not_found

handler404 = page_not_found

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("", include("dataio.urls")),
    path("", include("sales.urls")),
    path("customers/", include("customers.urls")),
    path("api/", include("sales.api.urls")),
    path("", include("automation.urls")),
]
