"""/api/v1/dibao-cases/ and the policy data (standards, parameters, category supplements)."""

from rest_framework.routers import SimpleRouter

from assistance.dibao.api.views import (
    CategorySupplementViewSet,
    DibaoCaseViewSet,
    DibaoStandardViewSet,
    PolicyParameterViewSet,
)

router = SimpleRouter()
router.register("dibao-cases", DibaoCaseViewSet, basename="dibao-case")
router.register("standards", DibaoStandardViewSet, basename="dibao-standard")
router.register("policy-parameters", PolicyParameterViewSet, basename="policy-parameter")
router.register("category-supplements", CategorySupplementViewSet, basename="category-supplement")

urlpatterns = router.urls
