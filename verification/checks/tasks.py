"""Celery tasks of checks."""
