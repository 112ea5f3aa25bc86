from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from sales.api import viewsets
from sales.api.metrics import MetricsView

app_name = "api"

router = DefaultRouter()
router.register("customers", viewsets.CustomerViewSet, basename="customer")
router.register("contacts", viewsets.ContactViewSet, basename="contact")
router.register("deals", viewsets.DealViewSet, basename="deal")
router.register("activities", viewsets.ActivityViewSet, basename="activity")
router.register("sales-records", viewsets.SalesRecordViewSet, basename="salesrecord")
router.register("plans", viewsets.SalesPlanViewSet, basename="plan")
router.register("products", viewsets.ProductViewSet, basename="product")

urlpatterns = [
    path("", include(router.urls)),
    path("metrics/", MetricsView.as_view(), name="metrics"),
    path("token/", obtain_auth_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
