"""checks models (issue 9)."""

__all__: list[str] = []
