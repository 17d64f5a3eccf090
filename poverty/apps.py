from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PovertyConfig(AppConfig):
    name = "poverty"
    verbose_name = _("Poverty register")

    def ready(self) -> None:
        # Grants the poverty permissions to roles (core.roles' registry).
        # Members changing → their households' classification recomputed (after the commit).
        from . import (
            permissions,  # noqa: F401
            receivers,
        )

        receivers.connect()

        # The household page's poverty section; households (a lower layer) never imports us.
        from households.panels import register

        from .panels import poverty_panel

        register(poverty_panel)

        # The register's tile and the exit-target figures on the home page.
        from core.views import figure_providers, tile_providers

        from .home import poverty_figures, poverty_tiles

        if poverty_tiles not in tile_providers:
            tile_providers.append(poverty_tiles)
        if poverty_figures not in figure_providers:
            figure_providers.append(poverty_figures)
