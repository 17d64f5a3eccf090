"""Staff pages under /handoffs/ (app namespace `transitions`)."""

from django.urls import path

from . import views

staff_urlpatterns = [
    path("supervision/", views.dashboard, name="supervision"),
    path("supervision/workbook/", views.workbook_request, name="supervision_workbook"),
    path("supervision/jobs/<int:job_id>/", views.workbook_job, name="supervision_job"),
    path(
        "supervision/jobs/<int:job_id>/download/",
        views.workbook_download,
        name="supervision_download",
    ),
    path("monitoring/", views.monitoring_cases, name="monitoring_cases"),
    path("monitoring/<int:pk>/", views.monitoring_case, name="monitoring_case"),
]
