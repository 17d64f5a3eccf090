"""The programme pages' forms; the services check the rules, these only parse input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from assistance.models import Programme
from assistance.programmes import workflow as programme_workflow
from core.forms import blank_choice
from core.models import Region, User
from core.selectors import villages_for
from households.models import Household, Person


class ApplyForm(forms.Form):
    programme = forms.ChoiceField(label=gettext_lazy("Programme"), choices=Programme.choices)
    person = forms.ModelChoiceField(
        label=gettext_lazy("Member concerned"),
        queryset=Person.objects.none(),
        required=False,
        help_text=gettext_lazy("Required for tekun (support is for one person)."),
    )
    applied_on = forms.DateField(
        label=gettext_lazy("Applied on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=gettext_lazy("Situation"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    requested_amount = forms.DecimalField(
        label=gettext_lazy("Requested amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    # tekun
    no_income = forms.BooleanField(label=gettext_lazy("Tekun: no income"), required=False)
    no_legal_supporter = forms.BooleanField(
        label=gettext_lazy("Tekun: no legal supporter able to support"), required=False
    )
    # low-income
    per_capita_income = forms.DecimalField(
        label=gettext_lazy("Low-income: per-capita monthly income (yuan)"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    # temporary
    cause = forms.ChoiceField(
        label=gettext_lazy("Temporary: event type"),
        choices=[*blank_choice(), *programme_workflow.TemporaryCause.choices],
        required=False,
    )
    event_date = forms.DateField(
        label=gettext_lazy("Temporary: event date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    emergency = forms.BooleanField(
        label=gettext_lazy("Temporary: emergency (pay first, document after)"), required=False
    )
    # medical
    compliant_out_of_pocket = forms.DecimalField(
        label=gettext_lazy("Medical: compliant out-of-pocket cost (yuan)"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    annual_household_income = forms.DecimalField(
        label=gettext_lazy("Medical: annual household income (yuan)"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            memberships__household=household, memberships__end_date__isnull=True
        ).order_by("id")

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        programme = d["programme"]
        kwargs: dict[str, Any] = {
            "programme": programme,
            "person": d.get("person"),
            "applied_on": d["applied_on"],
            "requested_amount": d.get("requested_amount"),
        }
        if programme == Programme.TEMPORARY:
            kwargs |= {
                "cause": d.get("cause") or "",
                "event_date": d.get("event_date"),
                "emergency": d.get("emergency", False),
            }
        for key in programme_workflow.DETAIL_FIELDS[programme]:
            value = d.get(key)
            if value not in (None, ""):
                kwargs[key] = value
        return kwargs


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


class ApproveForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=gettext_lazy("Medical aid: leave empty to award the formula amount."),
    )
    on = _date_field(gettext_lazy("Decided on"))
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class RefuseForm(forms.Form):
    on = _date_field(gettext_lazy("Decided on"))
    reason = forms.CharField(
        label=gettext_lazy("Reasons for the refusal"), widget=forms.Textarea(attrs={"rows": 2})
    )


class PayForm(forms.Form):
    on = _date_field(gettext_lazy("Paid on"))


class DocumentForm(forms.Form):
    on = _date_field(gettext_lazy("Documents complete on"))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OutreachForm(forms.Form):
    village = forms.ModelChoiceField(
        label=gettext_lazy("Village / community"), queryset=Region.objects.none()
    )
    subject_name = forms.CharField(label=gettext_lazy("Name of the person in need"), max_length=50)
    description = forms.CharField(
        label=gettext_lazy("Situation"), widget=forms.Textarea(attrs={"rows": 4})
    )
    household = forms.IntegerField(
        label=gettext_lazy("Registered household number (if known)"), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = villages_for(user)
        self.fields["village"].queryset = villages  # type: ignore[attr-defined]
        self.fields["village"].label_from_instance = (  # type: ignore[attr-defined]
            lambda v: f"{v.parent.name if v.parent else ''} · {v.name}"
        )
        if villages.count() == 1:
            self.fields["village"].initial = villages.first()


class ConvertDibaoForm(forms.Form):
    household = forms.IntegerField(label=gettext_lazy("Household number"))
    agent_name = forms.CharField(
        label=gettext_lazy("Applying for the household (agent)"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Leave empty: the village committee applies for them."),
    )


class ConvertProgrammeForm(forms.Form):
    household = forms.IntegerField(label=gettext_lazy("Household number"))
    programme = forms.ChoiceField(label=gettext_lazy("Programme"), choices=Programme.choices)
