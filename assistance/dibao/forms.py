"""Forms for the dibao case pages. They only shape input; every rule is checked by the services
(assistance.dibao.services), whose ValidationErrors the views put back on these fields."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assistance.dibao.workflow import DECIDER_INVESTIGATES, decides
from assistance.models import (
    CaseReview,
    DibaoCase,
    ExpenditureType,
    IncomeType,
    NamedInvestigator,
    PropertyDeclaration,
)
from assistance.permissions import CONFIRM_DIBAO
from core.forms import CHOOSE, blank_choice
from core.models import User
from core.roles import PERMISSIONS
from households.models import Household, Person


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label: Any, *, required: bool = True, today: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        initial=timezone.localdate if today else None,
    )


def reason_field(label: Any = None, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label or _("Reason"),
        required=required,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name}（{obj.age}）"


class PersonMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name}（{obj.age}）"


def household_members(household: Household) -> QuerySet[Person]:
    return Person.objects.filter(
        memberships__household=household, memberships__end_date__isnull=True
    ).order_by("memberships__start_date", "id")


# ----------------------------------------------------------------------------- opening a case


class CaseCreateForm(forms.Form):
    applicant = PersonChoiceField(
        label=_("Applying member"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=CHOOSE,
        help_text=_("Leave empty when an agent applies for the household."),
    )
    agent_name = forms.CharField(
        label=_("Agent (if applying for the household)"), max_length=100, required=False
    )
    unit = forms.ChoiceField(
        label=_("Dibao unit"), choices=DibaoCase.Unit.choices, initial=DibaoCase.Unit.HOUSEHOLD
    )
    single_person = PersonChoiceField(
        label=_("Member forming the single-person unit"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=CHOOSE,
    )
    relative_of_staff = forms.BooleanField(
        label=_("Relative of a caseworker or village cadre"), required=False
    )
    relative_note = forms.CharField(label=_("Relationship"), max_length=255, required=False)

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = household_members(household)
        self.fields["applicant"].queryset = members  # type: ignore[attr-defined]
        self.fields["single_person"].queryset = members  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- simple steps


class SignForm(forms.Form):
    authorization_on = date_field(_("Data-check authorisation signed on"))
    good_faith_on = date_field(_("Good-faith declaration signed on"))


class ReceptionForm(forms.Form):
    """At the service window: the application, the signatures and the acceptance in one step
    (services.dibao_case_receive); only the steps still to take are asked for (`steps`)."""

    applied_on = date_field(_("Applied on"))
    authorization_on = date_field(_("Data-check authorisation signed on"))
    good_faith_on = date_field(_("Good-faith declaration signed on"))
    accepted_on = date_field(_("Accepted on"))
    start_investigation = forms.BooleanField(
        label=_("Start the investigation now"),
        required=False,
        initial=True,
        help_text=_("The case goes straight to the investigation (home visit and declarations)."),
    )

    def __init__(self, *args: Any, steps: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "apply" not in steps:
            del self.fields["applied_on"]
        if "sign" not in steps:
            del self.fields["authorization_on"]
            del self.fields["good_faith_on"]


class ApplyForm(forms.Form):
    applied_on = date_field(_("Applied on"))


class AcceptForm(forms.Form):
    accepted_on = date_field(_("Accepted on"))


class ConfirmOnlyForm(forms.Form):
    """A step without input: the button is the decision."""


class ReasonForm(forms.Form):
    reason = reason_field()


class ProposeForm(forms.Form):
    on = date_field(_("Proposal date"))
    reason = reason_field(_("Township opinion (optional)"), required=False)


class NoticeForm(forms.Form):
    starts_on = date_field(_("Notice starts on"))
    backdate_reason = reason_field(
        _("Reason, if the notice started before today (optional)"), required=False
    )


class ObjectionForm(forms.Form):
    received_on = date_field(_("Received on"))
    objector = forms.CharField(label=_("Objector (optional)"), max_length=100, required=False)
    content = reason_field(_("What the objection says"))


class ReproposeForm(forms.Form):
    reason = reason_field(_("Why (required when the amount has not changed)"), required=False)


class ConfirmForm(forms.Form):
    on = date_field(_("Confirmation date"))
    reason = reason_field(_("Note (optional)"), required=False)


class RefuseForm(forms.Form):
    on = date_field(_("Refusal date"))
    reasons = reason_field(_("Written reasons"))


class ReviewOpenForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of review"), choices=CaseReview.Kind.choices)
    reason = reason_field(required=False)


class ReviewCloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CaseReview.Outcome.choices)
    on = date_field(_("Decision date"))
    reason = reason_field(required=False)


# ----------------------------------------------------------------------------- declarations


class IncomeTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: IncomeType) -> str:
        return str(obj.name) if obj.counted else f"{obj.name} · {_('not counted')}"


class ExpenditureTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ExpenditureType) -> str:
        return f"{obj.name} · {obj.get_kind_display()}"


MONEY_ATTRS = {"step": "0.01", "min": "0", "inputmode": "decimal"}


class _DeclarationForm(forms.Form):
    def __init__(self, *args: Any, members: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = members  # type: ignore[attr-defined]


class IncomeForm(_DeclarationForm):
    person = PersonChoiceField(label=_("Member"), queryset=Person.objects.none())
    income_type = IncomeTypeChoiceField(label=_("Income type"), queryset=IncomeType.objects.all())
    monthly_amount = forms.DecimalField(
        label=_("Monthly amount (yuan)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs=MONEY_ATTRS),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class ExpenditureForm(_DeclarationForm):
    person = PersonChoiceField(label=_("Member"), queryset=Person.objects.none())
    expenditure_type = ExpenditureTypeChoiceField(
        label=_("Expenditure type"), queryset=ExpenditureType.objects.all()
    )
    monthly_amount = forms.DecimalField(
        label=_("Monthly amount (yuan)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs=MONEY_ATTRS),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class PropertyForm(_DeclarationForm):
    person = PersonChoiceField(
        label=_("Member (optional)"), queryset=Person.objects.none(), required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[*blank_choice(), *PropertyDeclaration.Kind.choices]
    )
    # No initial value: a blank row stays blank (and is ignored); a used row must give the value.
    value = forms.DecimalField(
        label=_("Value (yuan)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs=MONEY_ATTRS),
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    exempt_reason = forms.CharField(label=_("Reason it is allowed"), max_length=255, required=False)


# One blank row each; the page adds and removes rows in the browser (static/js/formset.js, from
# the formset's empty_form). Only saved rows carry a delete box (can_delete_extra=False).
_FORMSET_OPTIONS: dict[str, Any] = {"extra": 1, "can_delete": True, "can_delete_extra": False}
IncomeFormSet = forms.formset_factory(IncomeForm, **_FORMSET_OPTIONS)
ExpenditureFormSet = forms.formset_factory(ExpenditureForm, **_FORMSET_OPTIONS)
PropertyFormSet = forms.formset_factory(PropertyForm, **_FORMSET_OPTIONS)


# ----------------------------------------------------------------------------- investigation


class InvestigatorChoiceField(forms.ModelMultipleChoiceField):
    """The users who may investigate the case. `deciders`: users of the case's area who decide
    it (the district reviewer): not offered, and refused with the reason if posted."""

    deciders: list[User] = []

    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} · {obj.role_label} · {obj.region.name if obj.region else ''}"

    def clean(self, value: Any) -> Any:
        posted = {str(v) for v in value or []}
        named = [u for u in self.deciders if str(u.pk) in posted]
        if named:
            raise forms.ValidationError(
                str(DECIDER_INVESTIGATES)
                % {"names": "、".join(u.get_full_name() or u.username for u in named)},
                code="decider",
            )
        return super().clean(value)


def investigator_candidates(case: DibaoCase) -> tuple[QuerySet[User], list[User]]:
    """Active users whose region contains the case's village and whose role may investigate,
    and apart those of them who decide the case (the district reviewer: separation of
    duties)."""
    village = case.household.village
    parts = [p for p in village.path.split(".") if p]
    paths = [".".join(parts[: i + 1]) + "." for i in range(len(parts))]
    roles = [
        role
        for role, perms in PERMISSIONS.items()
        if "assistance.change_dibaocase" in perms or CONFIRM_DIBAO in perms
    ]
    users = (
        User.objects.filter(is_active=True, role__in=roles, region__path__in=paths)
        .select_related("region")
        .order_by("region__path", "last_name", "username")
    )
    deciders = [u for u in users if decides(case, u)]
    return users.exclude(pk__in=[u.pk for u in deciders]), deciders


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class InvestigationForm(forms.Form):
    home_visit_on = date_field(_("Home visit on"))
    investigators = InvestigatorChoiceField(
        label=_("Investigators who are system users"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("At least two investigators in all, users and other persons together."),
    )
    neighbour_interviews = forms.CharField(
        label=_("Neighbour interviews"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    evidence_requests = forms.CharField(
        label=_("Written evidence requests"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 4}))
    persons_without_supporter = PersonMultipleChoiceField(
        label=_("Members without income, work capacity or legal supporter"),
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Each gets the full standard."),
    )
    attachments = MultipleFileField(
        label=_("Photos or scans (JPEG, PNG, PDF; up to 10 MB each)"), required=False
    )

    def __init__(self, *args: Any, case: DibaoCase, members: QuerySet[Person], **kwargs: Any):
        super().__init__(*args, **kwargs)
        offered, deciders = investigator_candidates(case)
        self.fields["investigators"].queryset = offered  # type: ignore[attr-defined]
        self.fields["investigators"].deciders = deciders  # type: ignore[attr-defined]
        self.fields["persons_without_supporter"].queryset = members  # type: ignore[attr-defined]


class NamedInvestigatorForm(forms.Form):
    """An investigator who is not a system user (a village cadre…): a blank row is ignored."""

    name = forms.CharField(label=_("Full name"), max_length=50, required=False)
    unit = forms.CharField(
        label=_("Unit"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the village committee")}),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", CHOOSE), *NamedInvestigator.Role.choices], required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("unit") or data.get("role")) and not (data.get("name") or "").strip():
            self.add_error("name", _("Enter the person's full name."))
        if (data.get("name") or "").strip() and not data.get("role"):
            self.add_error("role", _("Choose the person's role."))
        return data


NamedInvestigatorFormSet = forms.formset_factory(NamedInvestigatorForm, extra=3, max_num=10)


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File (JPEG, PNG or PDF, up to 10 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)


# ----------------------------------------------------------------------------- case list


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("Head of household or applicant"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *DibaoCase.Status.choices], required=False
    )
