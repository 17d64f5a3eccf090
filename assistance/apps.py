from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "assistance"
    verbose_name = _("Dibao and other assistance")

    def ready(self) -> None:
        # Grants the assistance permissions to roles (core.roles' registry).
        # The household page shows the household's dibao cases and other programmes; households
        # (a lower layer) never imports assistance.
        from assistance.dibao.panels import dibao_panel
        from assistance.programmes.panels import programmes_panel
        from households.panels import register

        from . import permissions  # noqa: F401

        register(dibao_panel)
        register(programmes_panel)

        from assistance.oversight.home import assistance_figures, assistance_tiles
        from core.views import figure_providers, tile_providers

        if assistance_tiles not in tile_providers:
            tile_providers.append(assistance_tiles)
        if assistance_figures not in figure_providers:
            figure_providers.append(assistance_figures)

        from assistance.deadlines import deadlines_recompute_year
        from core.calendar import deadline_recomputers

        if deadlines_recompute_year not in deadline_recomputers:
            deadline_recomputers.append(deadlines_recompute_year)

        # Age bands are policy parameters; households asks for them through its registry.
        from assistance.policy.selectors import age_bands
        from households.ages import register_age_bands

        register_age_bands(age_bands)
