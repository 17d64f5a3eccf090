"""/api/v1/ routes of audits."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
