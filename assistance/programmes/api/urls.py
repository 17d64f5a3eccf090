"""/api/v1/programme-cases/ and /api/v1/outreach-reports/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from assistance.programmes.api.views import OutreachReportViewSet, ProgrammeCaseViewSet

router = SimpleRouter()
router.register("programme-cases", ProgrammeCaseViewSet, basename="programme-case")
router.register("outreach-reports", OutreachReportViewSet, basename="outreach-report")

urlpatterns = [path("", include(router.urls))]
