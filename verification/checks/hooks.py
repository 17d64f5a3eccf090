"""What checks plugs into the lower layers at AppConfig.ready() (registries, signals)."""


def connect() -> None:
    """Idempotent: ready() may run more than once in tests."""
