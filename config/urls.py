from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("core.urls")),
    path("households/", include("households.urls")),
    path("dibao/", include("assistance.dibao.urls")),
    path("payroll/", include("assistance.payroll.urls")),
    path("programmes/", include("assistance.programmes.urls")),
    path("work/", include("assistance.oversight.urls")),
    path("poverty/", include("poverty.urls")),
    path("verification/", include("verification.urls")),
    path("handoffs/", include("transitions.urls")),
    # Public, no login: the standing disclosure lists (公示), addressed by random tokens.
    path("gongshi/", include("transitions.disclosure.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    # Other systems' registry API (OAuth2 client credentials): transitions.registry_api.
    path("api/dci/v1/", include("transitions.registry_api.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
# No MEDIA_URL route, in any mode: uploads are served only by scoped views (core.uploads).
