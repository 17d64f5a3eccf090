from django.urls import path

from assistance.oversight import views

app_name = "assistance_oversight"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("report/", views.report, name="report"),
    path("report/export/", views.report_export, name="report_export"),
]
