"""The hand-off pages' forms: they check the shape; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import blank_choice
from poverty.models import PovertyCause

from .kinds import KINDS
from .models import Handoff, HandoffKind, InsuranceEnrolment


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class AcknowledgeForm(forms.Form):
    reason = forms.CharField(label=_("Note (optional)"), required=False)


class ApproveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), required=False)
    decided_on = forms.DateField(
        label=_("Decided on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    causes = forms.MultipleChoiceField(
        label=_("Poverty causes"),
        choices=PovertyCause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, handoff: Handoff, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        outcomes = KINDS[handoff.kind].outcomes
        if outcomes:
            self.fields["outcome"].choices = blank_choice() + list(outcomes)  # type: ignore[attr-defined]
            self.fields["outcome"].required = True
        else:
            del self.fields["outcome"]
        if handoff.kind != HandoffKind.REGISTRATION_REFERRAL:
            del self.fields["causes"]
        else:
            self.fields["causes"].required = True


class EnrolmentForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Enrolment status"), choices=InsuranceEnrolment.Status.choices
    )
    status_on = forms.DateField(
        label=_("Status since"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), required=False)
