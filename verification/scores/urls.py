"""scores pages: /verification/scores/households/<pk>/ (history), …/compute/ (POST)."""

from django.urls import path

from verification.scores import views

urlpatterns = [
    path("households/<int:pk>/", views.score_history, name="score_history"),
    path("households/<int:pk>/compute/", views.score_compute, name="score_compute"),
]
