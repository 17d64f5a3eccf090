"""/api/v1/datasets/, /cross-check-runs/, /findings/, /audits/, /household-scores/."""

from django.urls import include, path

urlpatterns = [
    path("", include("verification.datasets.api.urls")),
    path("", include("verification.checks.api.urls")),
    path("", include("verification.audits.api.urls")),
    path("", include("verification.scores.api.urls")),
]
