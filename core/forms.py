"""Form helpers shared by every app's pages."""

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _


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


# ----------------------------------------------------------------------------- dropdown prompt

DJANGO_BLANK_LABEL = "---------"
CHOOSE = _("Please choose")


def blank_choice() -> list[tuple[str, Any]]:
    """The first choice of an optional or not-yet-chosen dropdown: 请选择."""
    return [("", CHOOSE)]


class FormRenderer(DjangoTemplates):
    """The project's form renderer (settings.FORM_RENDERER): every dropdown's blank option reads
    请选择 instead of Django's "---------", whichever form, field or app it comes from
    (ModelChoiceField.empty_label, a model field's choices, a hand-written blank choice) and
    whether the field is rendered by Django or by crispy-forms (both render widgets here)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict) and "optgroups" in widget:
            for _group, options, _index in widget["optgroups"]:
                for option in options:
                    if option.get("label") == DJANGO_BLANK_LABEL:
                        option["label"] = CHOOSE
        return super().render(template_name, context, request=request)


# ----------------------------------------------------------------------------- submit once

SUBMIT_FIELD = "submit_token"  # the hidden input's name
_PENDING = "pending"
_PENDING_TTL = 120  # a claim whose request died (a 500) frees itself; the write rolled back
_TOKEN_TTL = 24 * 3600


class SubmitOnce:
    """A one-time token for a form whose POST creates something, so a replayed submission (the
    back button, a resubmitted POST, a double click that got through) writes nothing twice.

    The page renders `{{ submit_once.field }}` inside the form; the view asks `replayed` first
    and, on a valid form, `claim()`s the token before writing, `release()`s it if the write is
    refused, and `done(url)`s it after. Used tokens are kept in the cache (atomic `add`), per user,
    for a day. A POST without a token (an old page) is not guarded."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        posted = request.POST.get(SUBMIT_FIELD, "") if request.method == "POST" else ""
        self.posted = posted if posted.isalnum() and len(posted) <= 64 else ""
        self.token = self.posted or secrets.token_hex(16)

    def _key(self) -> str:
        return f"submit-once:{getattr(self.request.user, 'pk', '')}:{self.posted}"

    @property
    def field(self) -> SafeString:
        return format_html('<input type="hidden" name="{}" value="{}">', SUBMIT_FIELD, self.token)

    @property
    def replayed(self) -> bool:
        return bool(self.posted) and cache.get(self._key()) is not None

    def claim(self) -> bool:
        """Mark the token used; False when another request already did."""
        if not self.posted:
            return True
        return bool(cache.add(self._key(), _PENDING, _PENDING_TTL))

    def release(self) -> None:
        """The write was refused: the same form may be corrected and sent again."""
        if self.posted:
            cache.delete(self._key())

    def done(self, url: str) -> None:
        """The write succeeded: a replay is sent to `url`, where the result is."""
        if self.posted:
            cache.set(self._key(), url, _TOKEN_TTL)

    def replay_response(self, fallback: str) -> HttpResponse:
        """Say so, and show what the first submission made (or `fallback` while it runs)."""
        messages.warning(self.request, REPLAY_MESSAGE)
        url = cache.get(self._key()) if self.posted else None
        return redirect(url if url and url != _PENDING else fallback)


REPLAY_MESSAGE = _("This form has already been submitted; please do not submit it again.")
