"""datasets pages: /verification/datasets/ …"""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.snapshot_list, name="dataset_list"),
    path("upload/", views.snapshot_upload, name="dataset_upload"),
    path("template/<str:kind>.xlsx", views.kind_template, name="dataset_template"),
    path("<int:pk>/", views.snapshot_detail, name="dataset_detail"),
    path("<int:pk>/progress/", views.snapshot_progress, name="dataset_progress"),
    path("<int:pk>/errors.xlsx", views.snapshot_errors, name="dataset_errors"),
    path("<int:pk>/<str:action>/", views.snapshot_act, name="dataset_act"),
]
