"""Celery tasks of audits."""
