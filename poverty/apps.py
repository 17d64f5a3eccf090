from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PovertyConfig(AppConfig):
    name = "poverty"
    verbose_name = _("Poverty register")

    def ready(self) -> None:
        # Grants the poverty permissions to roles (core.roles' registry).
        from . import permissions  # noqa: F401
