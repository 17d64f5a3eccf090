"""Forms of the audit pages (the services validate again: the API shares them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assistance.dibao.forms import DateInput
from core.models import Region, User
from core.roles import Role

from ..models import AuditPlan, AuditSample


class AuditorsField(forms.ModelMultipleChoiceField):
    """Auditors by their names, not their log-in names."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class PlanForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.filter(level__in=(Region.Level.CITY, Region.Level.COUNTY)).order_by(
            "code"
        ),
    )
    period_from = forms.DateField(label=_("Period from"), widget=DateInput())
    period_to = forms.DateField(label=_("Period to"), widget=DateInput())
    allocation = forms.ChoiceField(
        label=_("Allocation"), choices=AuditPlan.Allocation.choices, initial="proportional"
    )
    sample_percent = forms.DecimalField(
        label=_("Sampling rate %"),
        required=False,
        max_digits=5,
        decimal_places=2,
        help_text=_("Proportional allocation; empty: the rate in force (policy data)."),
    )
    per_stratum = forms.IntegerField(
        label=_("Households per stratum"),
        required=False,
        min_value=1,
        help_text=_("Fixed allocation."),
    )
    min_per_stratum = forms.IntegerField(
        label=_("Fewest per stratum"), required=False, min_value=1, max_value=1000
    )
    seed = forms.IntegerField(
        label=_("Random seed"),
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text=_("Empty: a random one. The same seed on the same frame draws the same sample."),
    )
    auditors = AuditorsField(
        label=_("Auditors"),
        queryset=User.objects.filter(role=Role.AUDITOR, is_active=True).order_by("username"),
        widget=forms.CheckboxSelectMultiple,
    )


class AssignForm(forms.Form):
    auditors = AuditorsField(
        label=_("Auditors"),
        queryset=User.objects.filter(role=Role.AUDITOR, is_active=True).order_by("username"),
        widget=forms.CheckboxSelectMultiple,
    )


class RecordForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"),
        choices=[
            (AuditSample.Result.CONFORMS, AuditSample.Result.CONFORMS.label),
            (AuditSample.Result.DISCREPANCY, AuditSample.Result.DISCREPANCY.label),
        ],
        widget=forms.RadioSelect,
    )
    discrepancy_kind = forms.ChoiceField(label=_("Kind of discrepancy"), required=False)
    details = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    visited_on = forms.DateField(label=_("Examined on"), widget=DateInput())

    def __init__(self, *args: Any, sample: AuditSample, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = AuditSample.KINDS_BY_FRAME[sample.stratum.frame]  # type: ignore[index]
        field: Any = self.fields["discrepancy_kind"]
        field.choices = [("", "—")] + [(k, AuditSample.Discrepancy(k).label) for k in kinds]


class CorrectForm(RecordForm):
    """The recording auditor's correction: the new result, why, and the version it corrects (a
    correction made meanwhile is then detected, not overwritten). The examination date stays."""

    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, sample: AuditSample, **kwargs: Any) -> None:
        super().__init__(*args, sample=sample, **kwargs)
        del self.fields["visited_on"]
        if not self.is_bound:
            self.initial.update(
                result=sample.result,
                discrepancy_kind=sample.discrepancy_kind,
                details=sample.details,
                version=sample.version,
            )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Remarks"), required=False, max_length=500)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
