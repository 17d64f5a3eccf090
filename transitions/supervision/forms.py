from django import forms
from django.utils.translation import gettext_lazy as _

from transitions.models import MonitoringCase


class MonitoringCloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=MonitoringCase.Outcome.choices)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class WorkbookForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2017, max_value=2100)
