"""Forms of the poverty pages. They only shape input; every rule is checked by the services,
whose ValidationErrors the views put back on these fields."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import blank_choice
from core.models import Region, User
from core.scope import visible_regions
from households.models import LabourCapacity
from poverty.models import HouseholdClass, MeasureKind, PovertyCause, PovertyRecord


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=DateInput(), initial=timezone.localdate)


def text_field(label: Any, *, required: bool = True, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), max_length=2000
    )


class RecordListForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *PovertyRecord.Status.choices],
    )
    cause = forms.ChoiceField(
        label=_("Cause"), required=False, choices=[("", _("All")), *PovertyCause.choices]
    )
    town = forms.ModelChoiceField(
        label=_("Town / street"), required=False, queryset=Region.objects.none()
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        towns = visible_regions(user).filter(level=Region.Level.TOWNSHIP).order_by("code")
        self.fields["town"].queryset = towns  # type: ignore[attr-defined]

    def selector_filters(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "q": d.get("q") or "",
            "status": d.get("status") or "",
            "cause": d.get("cause") or "",
            "town": d["town"].pk if d.get("town") else None,
        }


class RegisterForm(forms.Form):
    registered_on = date_field(_("Registered on"))
    causes = forms.MultipleChoiceField(
        label=_("Causes of poverty"),
        choices=PovertyCause.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reason = text_field(_("Note"), required=False)


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("Measure"), choices=blank_choice() + list(MeasureKind.choices))
    started_on = date_field(_("Started on"))
    department = forms.CharField(label=_("Responsible department"), max_length=100)
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=50)
    funds = forms.DecimalField(
        label=_("Funds (yuan)"), max_digits=12, decimal_places=2, required=False
    )
    outcome = text_field(_("Results achieved"), required=False)


class ProposeExitForm(forms.Form):
    on = date_field(_("Proposed on"))
    income_per_capita = forms.DecimalField(
        label=_("Per-capita monthly income now (yuan)"), max_digits=12, decimal_places=2
    )
    evidence = text_field(_("Evidence for the exit"))


class ConfirmExitForm(forms.Form):
    confirmed_on = date_field(_("Confirmed on"))
    document_no = forms.CharField(
        label=_("Confirmation document no."), max_length=100, required=False
    )
    confirming_level = forms.ChoiceField(
        label=_("Confirmed by"),
        choices=PovertyRecord.ConfirmingLevel.choices,
        initial=PovertyRecord.ConfirmingLevel.COUNTY,
    )


class ReturnForm(forms.Form):
    on = date_field(_("Returned to poverty on"))
    reason = text_field(_("Reason"))


class ReasonForm(forms.Form):
    reason = text_field(_("Reason"))


class OverrideForm(forms.Form):
    klass = forms.ChoiceField(label=_("Class"), choices=HouseholdClass.choices)
    reason = text_field(_("Reason for the override"))


class PreviewForm(forms.Form):
    min_age = forms.IntegerField(label=_("Minimum age"), min_value=0, max_value=120)
    max_age = forms.IntegerField(label=_("Maximum age"), min_value=0, max_value=120)
    capacities = forms.MultipleChoiceField(
        label=_("Labour capacities counted"),
        choices=LabourCapacity.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    students_count = forms.BooleanField(label=_("Full-time students count"), required=False)

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        low, high = d.get("min_age"), d.get("max_age")
        if low is not None and high is not None and high < low:
            self.add_error("max_age", _("The maximum age is below the minimum age."))
        return d


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=32)
