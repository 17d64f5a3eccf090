"""/api/v1/ routes of datasets."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
