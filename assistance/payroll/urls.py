from django.urls import path

from assistance.payroll import views

app_name = "assistance_payroll"
urlpatterns = [
    path("", views.payroll_list, name="list"),
    path("build/", views.payroll_build, name="build"),
    path("jobs/<int:pk>/", views.job_status, name="job"),
    path("<int:pk>/", views.payroll_detail, name="detail"),
    path("<int:pk>/approve/", views.payroll_approve, name="approve"),
    path("<int:pk>/export/<str:fmt>/", views.payroll_export, name="export"),
]
