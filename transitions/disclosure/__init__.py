"""Standing public disclosure (公示, domain.md §5.9): published lists, takedowns, objections."""
