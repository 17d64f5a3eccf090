from django.contrib.auth import views as auth_views
from django.urls import include, path

from core import converters  # noqa: F401  (registers <year:…>)

from . import views, views_calendar

urlpatterns = [
    path("", views.home, name="home"),
    path("calendar/<year:year>/", views_calendar.calendar_year, name="calendar_year"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("notifications/", include("core.notifications.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
