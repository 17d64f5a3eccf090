"""Pages of verification: /verification/datasets/, /checks/ (runs, findings, reports),
/audits/, /scores/."""

from django.urls import include, path

app_name = "verification"

urlpatterns = [
    path("datasets/", include("verification.datasets.urls")),
    path("checks/", include("verification.checks.urls")),
    path("audits/", include("verification.audits.urls")),
    path("scores/", include("verification.scores.urls")),
]
