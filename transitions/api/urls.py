"""/api/v1/transitions/, /api/v1/phase-outs/, /api/v1/insurance-enrolments/."""

from rest_framework.routers import SimpleRouter

from .views import EnrolmentViewSet, HandoffViewSet, PhaseOutViewSet

router = SimpleRouter()
router.register("transitions", HandoffViewSet, basename="transition")
router.register("phase-outs", PhaseOutViewSet, basename="phase-out")
router.register("insurance-enrolments", EnrolmentViewSet, basename="insurance-enrolment")

urlpatterns = router.urls
