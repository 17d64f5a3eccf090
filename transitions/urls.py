from django.urls import path

from . import views
from .disclosure.urls import staff_urlpatterns
from .exchange import views as exchange_views
from .reconciliation import inbound_views
from .reconciliation import views as reconciliation_views
from .supervision.urls import staff_urlpatterns as supervision_urlpatterns
from .supervision.whatif import views as whatif_views

app_name = "transitions"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("exchange/", exchange_views.batch_list, name="exchange_list"),
    path("exchange/<int:pk>/", exchange_views.batch_detail, name="exchange_detail"),
    path(
        "exchange/<int:pk>/acknowledge/",
        exchange_views.batch_acknowledge,
        name="exchange_acknowledge",
    ),
    path("exchange/<int:pk>/files/<str:name>", exchange_views.batch_file, name="exchange_file"),
    path("exchange/jobs/<int:job_id>/", exchange_views.build_job, name="exchange_job"),
    path("what-if/", whatif_views.whatif_list, name="whatif_list"),
    path("what-if/<int:pk>/", whatif_views.whatif_detail, name="whatif_detail"),
    path("what-if/<int:pk>/export.<str:fmt>", whatif_views.whatif_export, name="whatif_export"),
    path("reconciliation/", reconciliation_views.difference_list, name="reconciliation_list"),
    path("reconciliation/run/", reconciliation_views.run, name="reconciliation_run"),
    path(
        "reconciliation/jobs/<int:job_id>/",
        reconciliation_views.run_job,
        name="reconciliation_job",
    ),
    path("inbound/", inbound_views.batch_list, name="inbound_list"),
    path("inbound/receive/", inbound_views.batch_receive, name="inbound_receive"),
    path("inbound/<int:pk>/", inbound_views.batch_detail, name="inbound_detail"),
    path("inbound/<int:pk>/progress/", inbound_views.batch_progress, name="inbound_progress"),
    path(
        "inbound/<int:pk>/export/<str:part>.<str:fmt>",
        inbound_views.batch_export,
        name="inbound_export",
    ),
    path(
        "reconciliation/<int:pk>/explain/",
        reconciliation_views.difference_explain,
        name="reconciliation_explain",
    ),
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
    *supervision_urlpatterns,
]
