from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("core.urls")),
    path("households/", include("households.urls")),
    path("dibao/", include("assistance.urls")),
    path("payroll/", include("assistance.urls_payroll")),
    path("programmes/", include("assistance.urls_programmes")),
    path("work/", include("assistance.urls_oversight")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
# No media route in any mode: attachments are served only by the scoped download view.
