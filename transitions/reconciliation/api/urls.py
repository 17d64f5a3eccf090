"""/api/v1/reconciliation-differences/ and /api/v1/inbound-batches/."""

from rest_framework.routers import SimpleRouter

from .views import DifferenceViewSet, InboundBatchViewSet

router = SimpleRouter()
router.register(
    "reconciliation-differences", DifferenceViewSet, basename="reconciliation-difference"
)
router.register("inbound-batches", InboundBatchViewSet, basename="inbound-batch")

urlpatterns = router.urls
