import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import blank_choice
from core.models import Region

from .idnumber import parse_id_number
from .models import Household, Person, Relation

ID_CHECK_ATTRS = {
    "hx-get": "",  # filled in by the form with the check URL
    "hx-trigger": "keyup changed delay:300ms, change",
    "hx-swap": "innerHTML",
    "autocomplete": "off",
    "maxlength": "18",
    "class": "id-number",
}


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        town = obj.parent.name if obj.parent else ""
        return f"{town} · {obj.name}"


class HouseholdForm(forms.ModelForm):
    village = VillageChoiceField(queryset=Region.objects.none(), label=_("Village / community"))

    class Meta:
        model = Household
        fields = ["village", "address", "hukou_type"]

    def __init__(self, *args: Any, villages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages  # type: ignore[attr-defined]


class PersonFieldsForm(forms.ModelForm):
    id_number = forms.CharField(label=_("Resident ID number"), max_length=20)

    class Meta:
        model = Person
        fields = [
            "name",
            "id_number",
            "phone",
            "disability_category",
            "disability_grade",
            "serious_illness",
            "labour_capacity_assessed",
            "labour_capacity_reason",
            "willing_to_accept_help",
            "in_school",
            "employment_status",
            "bank_name",
            "bank_account",
        ]
        # Person.name is the person's full name: 姓名, not the model's generic "name" (名称).
        labels = {"name": _("Name")}

    def __init__(self, *args: Any, check_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        attrs = dict(ID_CHECK_ATTRS, **{"hx-get": check_url})
        attrs["hx-target"] = f"#idcheck-{self.prefix or 'person'}"
        self.fields["id_number"].widget.attrs.update(attrs)
        illness = self.fields["serious_illness"]
        illness.queryset = illness.queryset.filter(  # type: ignore[attr-defined]
            active=True
        )

    def clean_id_number(self) -> str:
        facts = parse_id_number(self.cleaned_data["id_number"])
        clash = Person.objects.filter(id_number=facts.number)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("A person with this ID number is already registered."))
        return facts.number

    def validate_unique(self) -> None:
        # Uniqueness is checked in clean_id_number with a clear message; the service re-checks.
        pass

    def person_data(self) -> dict[str, Any]:
        from .services import PERSON_FIELDS

        return {k: self.cleaned_data[k] for k in PERSON_FIELDS if k in self.cleaned_data}


class MemberForm(PersonFieldsForm):
    # A blank first choice: a new row must not silently default to "head".
    relation = forms.ChoiceField(
        label=_("Relation to head"), choices=[*blank_choice(), *Relation.choices]
    )

    class Meta(PersonFieldsForm.Meta):
        fields = ["relation", *PersonFieldsForm.Meta.fields]


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        forms_ = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        heads = sum(1 for f in forms_ if f.cleaned_data.get("relation") == Relation.HEAD)
        if heads != 1:
            raise ValidationError(_("Exactly one member must be the head of household."))
        ids = [f.cleaned_data.get("id_number") for f in forms_]
        if len(ids) != len(set(ids)):
            raise ValidationError(_("The same ID number appears twice."))


MemberFormSet = forms.formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=0, min_num=1, validate_min=True, can_delete=False
)


class VersionedFormMixin(forms.Form):
    """Carries the record's updated_at from GET to POST so a concurrent edit is detected."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def set_version(self, instance: Any) -> None:
        if not self.is_bound:
            self.initial["version"] = instance.updated_at.isoformat()

    def expected_version(self) -> dt.datetime | None:
        raw = self.cleaned_data.get("version") or ""
        try:
            return dt.datetime.fromisoformat(raw) if raw else None
        except ValueError:
            return None


class PersonEditForm(VersionedFormMixin, PersonFieldsForm):
    reason = forms.CharField(label=_("Reason for the change"), max_length=255)


class HouseholdEditForm(VersionedFormMixin, HouseholdForm):
    reason = forms.CharField(label=_("Reason for the change"), max_length=255)


class MemberRemoveForm(forms.Form):
    end_date = forms.DateField(label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=255)


class HouseholdSearchForm(forms.Form):
    """The household list's and export's query: bad values (`village=abc`) are a form error
    the page shows (400), never a ValueError from the ORM."""

    q = forms.CharField(required=False, max_length=100)
    village = forms.IntegerField(required=False, min_value=1, label=_("Village / community"))
    town = forms.IntegerField(required=False, min_value=1, label=_("Town / street"))
    district = forms.IntegerField(
        required=False, min_value=1, label=_("District / county-level city")
    )

    def selector_filters(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "q": (d["q"] or "").strip(),
            "village": d["village"],
            "town": d["town"],
            "district": d["district"],
        }

    def error_messages_flat(self) -> list[str]:
        return [
            f"{self.fields[name].label or name}: {message}" if name in self.fields else str(message)
            for name, messages in self.errors.items()
            for message in messages
        ]
