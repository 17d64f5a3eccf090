"""/api/v1/cross-check-runs/ and /api/v1/findings/."""

from rest_framework.routers import SimpleRouter

from verification.checks.api.views import CrossCheckRunViewSet, FindingViewSet

router = SimpleRouter()
router.register("cross-check-runs", CrossCheckRunViewSet, basename="cross-check-run")
router.register("findings", FindingViewSet, basename="finding")

urlpatterns = router.urls
