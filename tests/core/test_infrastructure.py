"""The suite runs on the real services: PostgreSQL, and Redis for cache and Celery's broker."""

import pytest
from django.core.cache import cache
from django.db import connection

from config.celery import app as celery_app


@pytest.mark.django_db
def test_database_is_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cur:
        cur.execute("SHOW TIMEZONE")
        assert cur.fetchone()[0] in ("UTC", "Etc/UTC", "Asia/Shanghai")


def test_cache_is_redis():
    cache.set("xianjie-test-key", {"a": 1}, 5)
    assert cache.get("xianjie-test-key") == {"a": 1}
    from django.core.cache import caches

    assert "Redis" in type(caches["default"]).__name__


def test_celery_broker_is_reachable():
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=2)
        assert conn.transport_cls in ("redis", "rediss")
