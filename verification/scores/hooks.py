"""What scores plugs into the lower layers at AppConfig.ready(): the score panel beside the
decision on the dibao case page and on the household page; its compute permission's grant."""


def connect() -> None:
    """Idempotent: ready() may run more than once in tests (the registries refuse duplicates)."""
    from assistance.dibao.panels import register_case_panel
    from households.panels import register
    from verification.scores import permissions  # noqa: F401  (grants COMPUTE_SCORE)
    from verification.scores.views import score_case_panel, score_household_panel

    register_case_panel(score_case_panel)
    register(score_household_panel)
