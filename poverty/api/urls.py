"""/api/v1/poverty-records/."""

from rest_framework.routers import SimpleRouter

from poverty.api.views import PovertyRecordViewSet

router = SimpleRouter()
router.register("poverty-records", PovertyRecordViewSet, basename="poverty-record")

urlpatterns = router.urls
