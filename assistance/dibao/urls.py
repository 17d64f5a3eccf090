from django.urls import path

from assistance.dibao import notice_views, views

app_name = "assistance"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("export/", views.case_export, name="export"),
    path("village-options/", views.village_options, name="village_options"),
    path("household/<int:household_pk>/open/", views.case_create, name="create"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/reception/", views.case_reception, name="reception"),
    path("<int:pk>/declarations/", views.case_declarations, name="declarations"),
    path("<int:pk>/investigation/", views.case_investigation, name="investigation"),
    path("<int:pk>/attachments/add/", views.attachment_add, name="attachment_add"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path("<int:pk>/decide/", views.case_decide, name="decide"),
    path("<int:pk>/notice/print/", views.notice_print, name="notice_print"),
    path("notices/", notice_views.notice_villages, name="notice_villages"),
    path(
        "notices/<str:code>/print/", notice_views.village_notice_print, name="village_notice_print"
    ),
] + [
    path(f"<int:pk>/{name.replace('_', '-')}/", views.case_step, {"step": name}, name=name)
    for name in views.STEPS
]
