"""Forms of the dataset pages (the services validate again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import KindChoices


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Dataset"), choices=KindChoices.choices)
    as_of = forms.DateField(label=_("Data as of"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK), xlsx, xls or ods; the first row holds the headers."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApproveForm(forms.Form):
    reason = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
