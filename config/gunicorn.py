"""gunicorn settings shared by `make run`, the Dockerfile and docker-compose (`-c config/gunicorn.py`).

Command-line flags (bind, workers) still override these."""

import gc
from typing import Any

# A worker that hangs on a request is replaced after this long (a long job belongs in Celery).
timeout = 60
graceful_timeout = 10


def post_worker_init(worker: Any) -> None:
    """Move everything the worker loaded (Django, the URL patterns, the apps' modules) out of the
    garbage collector's sight: a full collection then no longer walks ~hundreds of thousands of
    objects that live as long as the process, which showed as a 30–100 ms stall in a request
    now and then (the single-client p95 of bench/pages.py).

    Then collect less often: with Python's default (a young-generation pass every 700 net
    allocations) a 50-row list page ran ~2 collections costing ~2 ms of its ~50 (measured in
    process, alternating both settings); every 50,000 they are rare, and a request's cycles are
    still freed within a request or two."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module now, not on a request)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


GC_THRESHOLDS = (50_000, 20, 20)
