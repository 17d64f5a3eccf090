from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("Households and persons")

    def ready(self) -> None:
        # Grants the households permissions to roles (core.roles' registry).
        # The home page's households tiles; core never imports households.
        from core.views import figure_providers, tile_providers

        from . import permissions  # noqa: F401
        from .home import household_figures, household_tiles

        if household_tiles not in tile_providers:
            tile_providers.append(household_tiles)
        if household_figures not in figure_providers:
            figure_providers.append(household_figures)
