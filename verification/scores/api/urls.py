"""/api/v1/household-scores/."""

from rest_framework.routers import SimpleRouter

from verification.scores.api.views import HouseholdScoreViewSet

router = SimpleRouter()
router.register("household-scores", HouseholdScoreViewSet, basename="household-score")

urlpatterns = router.urls
