"""/api/v1/: one router for every app's viewsets."""

from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import APIRootView, DefaultRouter

from core import converters  # noqa: F401  (registers <year:…>)
from core.api import API_AUTHENTICATION_CLASSES
from core.api_calendar import CalendarYearView
from core.api_views import TokenObtainView, TokenRevokeView
from households.api.views import HouseholdViewSet, PersonViewSet, RegionViewSet


class ApiRoot(APIRootView):
    """Links to the endpoints (no data): any signed-in user. RolePermission would deny it, as
    the view has no model."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated]


class Router(DefaultRouter):
    APIRootView = ApiRoot


router = Router()
router.register("regions", RegionViewSet, basename="region")
router.register("households", HouseholdViewSet, basename="household")
router.register("persons", PersonViewSet, basename="person")

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="api-token-revoke"),
    path("calendar/<year:year>/", CalendarYearView.as_view(), name="api-calendar-year"),
    path("", include(router.urls)),
    path("", include("assistance.dibao.api.urls")),
    path("", include("assistance.payroll.api.urls")),
    path("", include("assistance.programmes.api.urls")),
    path("", include("poverty.api.urls")),
    path("", include("verification.api.urls")),
    path("", include("transitions.api.urls")),
    path("", include("transitions.exchange.api.urls")),
    path("", include("transitions.supervision.api")),
    path("", include("transitions.supervision.monitoring.api")),
    path("", include("transitions.supervision.whatif.api")),
    path("", include("transitions.reconciliation.api.urls")),
    path("", include("core.notifications.api")),
]
