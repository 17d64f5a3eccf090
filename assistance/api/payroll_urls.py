"""/api/v1/payrolls/ (see assistance.api.payroll)."""

from rest_framework.routers import SimpleRouter

from .payroll import PayrollViewSet

router = SimpleRouter()
router.register("payrolls", PayrollViewSet, basename="payroll")

urlpatterns = router.urls
