"""Exchange batches between departments (domain.md §8, issue 10 point 1)."""
