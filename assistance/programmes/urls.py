"""/programmes/: the other assistance programmes and outreach reports."""

from django.urls import path

from assistance.programmes import views

app_name = "assistance_programmes"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("export/", views.case_export, name="export"),
    path("apply/<int:household_pk>/", views.case_apply, name="apply"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/approve/", views.case_approve, name="approve"),
    path("<int:pk>/refuse/", views.case_refuse, name="refuse"),
    path("<int:pk>/pay/", views.case_pay, name="pay"),
    path("<int:pk>/document/", views.case_document, name="document"),
    path("<int:pk>/close/", views.case_close, name="close"),
    path("outreach/", views.outreach_list, name="outreach_list"),
    path("outreach/new/", views.outreach_new, name="outreach_new"),
    path("outreach/<int:pk>/", views.outreach_detail, name="outreach_detail"),
    path("outreach/<int:pk>/convert/", views.outreach_convert, name="outreach_convert"),
    path("outreach/<int:pk>/close/", views.outreach_close, name="outreach_close"),
]
