"""checks pages: /verification/checks/…"""

from django.urls import path

from . import views

urlpatterns = [
    path("runs/", views.run_list, name="run_list"),
    path("runs/start/", views.run_start, name="run_start"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/export/", views.finding_export, name="finding_export"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/<str:name>/", views.finding_action, name="finding_action"),
    path("households/<int:household_pk>/report/", views.household_report, name="household_report"),
    path("households/<int:household_pk>/panel/", views.findings_panel, name="findings_panel"),
]
