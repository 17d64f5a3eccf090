"""/api/v1/ routes of checks."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
