from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Region
from transitions.models import Publication


class ObjectionForm(forms.Form):
    row_ref = forms.ChoiceField(label=_("Which entry"), required=False)
    text = forms.CharField(label=_("What is wrong"), max_length=2000, widget=forms.Textarea)
    contact = forms.CharField(
        label=_("Contact (optional)"),
        max_length=100,
        required=False,
        help_text=_(
            "A phone number or a messaging account if you want an answer; leave it empty to "
            "object anonymously."
        ),
    )
    # A honeypot: hidden from people, filled in by robots.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, publication: Publication, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, object]] = [("", _("The list as a whole"))]
        choices += [(r["ref"], f"{r['village']} {r['name']}".strip()) for r in publication.rows]
        self.fields["row_ref"].choices = choices  # type: ignore[attr-defined]


class PublishForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("Village / community or town / street"), queryset=Region.objects.none()
    )

    def __init__(self, *args, regions, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class TakedownForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the takedown"), widget=forms.Textarea)


class AnswerForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea)
