"""Celery tasks of scores."""
