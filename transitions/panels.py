"""The household's whole story on the household page (households.panels.register, from
TransitionsConfig.ready): the timeline across departments and, with `?as_of=YYYY-MM-DD`, the
household as it stood on that day."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from households.models import Household

from .permissions import VIEW
from .story import as_of_param, household_as_of, household_timeline


def story_panel(request: HttpRequest, household: Household) -> SafeString | None:
    user = request.user
    if not user.has_perm(VIEW):
        return None
    raw = request.GET.get("as_of", "")
    on = as_of_param(raw) if raw else None
    return SafeString(
        render_to_string(
            "transitions/_story_panel.html",
            {
                "household": household,
                "events": household_timeline(user=user, household=household)[:100],  # type: ignore[arg-type]
                "as_of": household_as_of(user=user, household=household, on=on) if on else None,  # type: ignore[arg-type]
                "as_of_raw": raw,
                "as_of_invalid": bool(raw) and on is None,
            },
            request=request,
        )
    )
