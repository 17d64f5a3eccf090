"""/api/v1/exchange-batches/."""

from rest_framework.routers import SimpleRouter

from .views import ExchangeBatchViewSet

router = SimpleRouter()
router.register("exchange-batches", ExchangeBatchViewSet, basename="exchange-batch")

urlpatterns = router.urls
