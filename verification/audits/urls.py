"""audits pages: /verification/audits/…"""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.plan_list, name="audit_list"),
    path("new/", views.plan_create, name="audit_create"),
    path("<int:pk>/", views.plan_detail, name="audit_detail"),
    path("<int:pk>/draw/", views.plan_draw, name="audit_draw"),
    path("<int:pk>/auditors/", views.plan_assign, name="audit_assign"),
    path("<int:pk>/close/", views.plan_close, name="audit_close"),
    path("<int:pk>/cancel/", views.plan_cancel, name="audit_cancel"),
    path("<int:pk>/report/", views.plan_report, name="audit_report"),
    path("<int:pk>/report/export/", views.plan_report_export, name="audit_report_export"),
    path("worklist/", views.worklist, name="audit_worklist"),
    path("samples/<int:pk>/", views.sample_detail, name="audit_sample"),
    path("samples/<int:pk>/correct/", views.sample_correct, name="audit_sample_correct"),
]
