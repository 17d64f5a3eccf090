from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

PARTS = ("datasets", "checks", "scores", "audits")


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = _("Verification")

    def ready(self) -> None:
        # Grants the verification permissions to roles (core.roles' registry); each part plugs
        # into the lower layers' registries and signals (e.g. the finding check into
        # assistance's proposal checks): assistance, a lower layer, never imports verification.
        import importlib

        from . import permissions  # noqa: F401

        for part in PARTS:
            importlib.import_module(f"verification.{part}.hooks").connect()
