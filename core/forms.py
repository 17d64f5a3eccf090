"""Form helpers shared by every app's pages."""

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError


def apply_service_errors(
    error: ValidationError,
    form: forms.BaseForm,
    *,
    formsets: Mapping[str, Sequence[Any]] | None = None,
) -> None:
    """Put a service's ValidationError where the user will see it: a field's key on that field,
    "<group>.<i>.<field>" on the i-th form of `formsets[group]`, anything else on the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, msgs in error.message_dict.items():
        parts = key.split(".")
        if formsets and len(parts) == 3 and parts[0] in formsets and parts[1].isdigit():
            target = formsets[parts[0]][int(parts[1])]
            target.add_error(parts[2] if parts[2] in target.fields else None, msgs)
        elif key in form.fields:
            form.add_error(key, msgs)
        else:
            form.add_error(None, msgs)
