"""Celery tasks of datasets."""
