"""Password rules of our own (the rest are Django's validators, see AUTH_PASSWORD_VALIDATORS)."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Printed in the README and at `make run`: anyone may know it.
PUBLIC_DEMO_PASSWORD = "xianjie-demo"  # noqa: S105 (public on purpose)


class DemoPasswordValidator:
    """Outside demo mode, refuse the public demo password (and the configured DEMO_PASSWORD)."""

    def validate(self, password: str, user: Any = None) -> None:
        if settings.DEMO_MODE:
            return
        if password in {PUBLIC_DEMO_PASSWORD, settings.DEMO_PASSWORD}:
            raise ValidationError(
                _("This is the public demo password; choose another one."),
                code="demo_password",
            )

    def get_help_text(self) -> str:
        return str(_("The public demo password cannot be used."))
