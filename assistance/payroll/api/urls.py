"""/api/v1/payrolls/ (see assistance.payroll.api.views)."""

from rest_framework.routers import SimpleRouter

from assistance.payroll.api.views import PayrollViewSet

router = SimpleRouter()
router.register("payrolls", PayrollViewSet, basename="payroll")

urlpatterns = router.urls
