"""The poverty section of the household page (registered in PovertyConfig.ready() through
households.panels.register): the household's record, its classification with the reasons, and
its measures."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from households.models import Household
from poverty import classification, selectors
from poverty.permissions import (
    ADD_MEASURE,
    OVERRIDE_CLASSIFICATION,
    REGISTER,
    VIEW_CLASSIFICATION,
    VIEW_RECORD,
)


def poverty_panel(request: HttpRequest, household: Household) -> SafeString | None:
    user = request.user
    if not user.has_perm(VIEW_RECORD):
        return None
    record = selectors.poverty_record_list(user=user, household=household.pk).first()  # type: ignore[arg-type]
    current = (
        classification.classification_current(user=user, household=household)  # type: ignore[arg-type]
        if user.has_perm(VIEW_CLASSIFICATION)
        else None
    )
    measures = list(selectors.measure_list(user=user, household=household.pk)[:20])  # type: ignore[arg-type]
    return SafeString(
        render_to_string(
            "poverty/_household_panel.html",
            {
                "household": household,
                "record": record,
                "classification": current,
                "measures": measures,
                "can_register": record is None and user.has_perm(REGISTER),
                "can_add_measure": user.has_perm(ADD_MEASURE),
                "can_override": current is not None and user.has_perm(OVERRIDE_CLASSIFICATION),
            },
            request=request,
        )
    )
