from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from accounts.api import ObtainTokenView
from sales.api import schema, viewsets
from sales.api.authentication import API_AUTHENTICATION
from sales.api.metrics import MetricsView
from sales.api.recommendations import CustomerRecommendationsView

app_name = "api"
# Imported for its schema field extensions, which drf-spectacular finds once they are defined.
assert schema.DecimalFieldExtension

SIGNED_IN = [IsAuthenticated]


class Router(DefaultRouter):
    """The API root page authenticates like the rest of the API."""

    class APIRootView(DefaultRouter.APIRootView):
        authentication_classes = API_AUTHENTICATION


router = Router()
router.register("customers", viewsets.CustomerViewSet, basename="customer")
router.register("contacts", viewsets.ContactViewSet, basename="contact")
router.register("deals", viewsets.DealViewSet, basename="deal")
router.register("activities", viewsets.ActivityViewSet, basename="activity")
router.register("sales-records", viewsets.SalesRecordViewSet, basename="salesrecord")
router.register("plans", viewsets.SalesPlanViewSet, basename="plan")
router.register("products", viewsets.ProductViewSet, basename="product")
router.register("lost-reasons", viewsets.LostReasonViewSet, basename="lostreason")

urlpatterns = [
    path("", include(router.urls)),
    path(
        "customers/<int:pk>/recommendations/",
        CustomerRecommendationsView.as_view(),
        name="customer-recommendations",
    ),
    path("metrics/", MetricsView.as_view(), name="metrics"),
    path("token/", ObtainTokenView.as_view(), name="token"),
    # The schema names every field of every record: it is for people who may use the API.
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=API_AUTHENTICATION, permission_classes=SIGNED_IN),
        name="schema",
    ),
    path(
        "docs/",
        # The split view serves its start-up code as a script file, which the CSP allows.
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", authentication_classes=API_AUTHENTICATION, permission_classes=SIGNED_IN
        ),
        name="docs",
    ),
]
