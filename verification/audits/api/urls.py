"""/api/v1/audits/ (plans) and /api/v1/audit-samples/ (sampled households, record)."""

from rest_framework.routers import SimpleRouter

from .views import AuditPlanViewSet, AuditSampleViewSet

router = SimpleRouter()
router.register("audits", AuditPlanViewSet, basename="audit")
router.register("audit-samples", AuditSampleViewSet, basename="audit-sample")

urlpatterns = router.urls
