from django.urls import path

from poverty import views

app_name = "poverty"
urlpatterns = [
    path("", views.record_list, name="list"),
    path("<int:pk>/", views.record_detail, name="detail"),
    path("household/<int:household_pk>/register/", views.record_register, name="register"),
    path("household/<int:household_pk>/measures/add/", views.measure_add, name="measure_add"),
    path(
        "household/<int:household_pk>/classification/",
        views.classification_override,
        name="classification_override",
    ),
    path("classification/preview/", views.classification_preview, name="classification_preview"),
    path("progress/", views.progress, name="progress"),
    path("certificates/<int:pk>/print/", views.certificate_print, name="certificate_print"),
    path("verify/", views.certificate_verify, name="verify"),
] + [
    path(f"<int:pk>/{name.replace('_', '-')}/", views.record_action, {"name": name}, name=name)
    for name in views.PAGES
]
