from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Users, roles and regions")

    def ready(self) -> None:
        from . import choice_labels
        from .api_auth import connect_signals

        connect_signals()
        choice_labels.install()
