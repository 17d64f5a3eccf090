from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransitionsConfig(AppConfig):
    name = "transitions"
    verbose_name = _("Hand-offs between departments")

    def ready(self) -> None:
        # Grants the transitions permissions to roles; connects the receivers that open hand-offs
        # when the lower layers report events (assistance.signals, poverty.signals): nothing
        # below imports transitions.
        # The register classifies dibao households; it may not read assistance (same layer).
        from poverty.hooks import register_subjects

        from . import permissions, receivers  # noqa: F401
        from .disclosure import inbox as disclosure_inbox
        from .disclosure import permissions as disclosure_permissions  # noqa: F401
        from .exchange import permissions as exchange_permissions  # noqa: F401
        from .links import dibao_households
        from .reconciliation import permissions as reconciliation_permissions  # noqa: F401
        from .registry_api import permissions as registry_permissions  # noqa: F401
        from .registry_api import receivers as registry_receivers  # noqa: F401
        from .supervision import permissions as supervision_permissions  # noqa: F401
        from .supervision.monitoring import inbox as monitoring_inbox
        from .supervision.whatif import permissions as whatif_permissions  # noqa: F401

        disclosure_inbox.register()
        monitoring_inbox.register()

        register_subjects(dibao_households)

        from core.views import figure_providers, tile_providers
        from households.panels import register

        from .home import handoff_figures, handoff_tiles
        from .panels import story_panel

        if handoff_tiles not in tile_providers:
            tile_providers.append(handoff_tiles)
        if handoff_figures not in figure_providers:
            figure_providers.append(handoff_figures)
        register(story_panel)

        from assistance.oversight.report import report_note_providers

        from .twoline import report_notes

        if report_notes not in report_note_providers:
            report_note_providers.append(report_notes)
