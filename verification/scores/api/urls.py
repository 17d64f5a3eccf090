"""/api/v1/ routes of scores."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
