from django.urls import path

from . import views
from .disclosure.urls import staff_urlpatterns

app_name = "transitions"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
    path("phase-outs/", views.phase_outs, name="phase_outs"),
    path("insurance/", views.enrolments, name="enrolments"),
    path("insurance/<int:pk>/", views.enrolment_record, name="enrolment_record"),
    path("insurance/import/", views.enrolment_import, name="enrolment_import"),
    path(
        "insurance/import/<int:job_id>/",
        views.enrolment_import_status,
        name="enrolment_import_status",
    ),
    path(
        "insurance/import/<int:job_id>/errors.xlsx",
        views.enrolment_import_errors,
        name="enrolment_import_errors",
    ),
    *staff_urlpatterns,
]
