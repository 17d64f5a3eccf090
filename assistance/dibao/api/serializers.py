"""API serializers for dibao cases and policy data.

Read serializers render selector rows (their joins and prefetches, no N+1). Write serializers only
check shapes and types; the rules (statuses, members, amounts, dates, roles) live in
assistance.dibao.services, shared with the pages, and come back through core.api.exception_handler.
"""

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assistance import deadlines
from assistance.dibao.workflow import DIBAO
from assistance.models import (
    Attachment,
    BenefitAward,
    CaseReview,
    CaseTransition,
    CategorySupplement,
    DibaoCase,
    DibaoStandard,
    ExpenditureDeclaration,
    ExpenditureType,
    IncomeDeclaration,
    IncomeType,
    Investigation,
    NamedInvestigator,
    Objection,
    PolicyParameter,
    PropertyDeclaration,
    PublicNotice,
)
from core.api_fields import AllowedActionsField
from core.models import Region
from households.models import Household


def money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


REASON_HELP = _("Why; kept in the case history.")


# ----------------------------------------------------------------------------- dibao cases: read


class CaseTransitionSerializer(serializers.ModelSerializer):
    from_status = serializers.CharField(
        read_only=True, help_text=_("A case status (see `status`); empty when the case opened.")
    )
    to_status = serializers.CharField(read_only=True, help_text=_("A case status."))
    by_name = serializers.SerializerMethodField()

    class Meta:
        model = CaseTransition
        fields = ["id", "action", "from_status", "to_status", "by", "by_name", "at", "reason"]
        read_only_fields = fields

    def get_by_name(self, obj: CaseTransition) -> str:
        return (obj.by.get_full_name() or obj.by.username) if obj.by else ""


class IncomeDeclarationSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    income_type = serializers.CharField(source="income_type.code", read_only=True)
    income_type_name = serializers.CharField(source="income_type.name", read_only=True)
    counted = serializers.BooleanField(source="income_type.counted", read_only=True)

    class Meta:
        model = IncomeDeclaration
        fields = [
            "id", "person", "person_name", "income_type", "income_type_name", "counted",
            "monthly_amount", "note",
        ]  # fmt: skip
        read_only_fields = fields


class ExpenditureDeclarationSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    expenditure_type = serializers.CharField(source="expenditure_type.code", read_only=True)
    expenditure_type_name = serializers.CharField(source="expenditure_type.name", read_only=True)
    kind = serializers.CharField(source="expenditure_type.kind", read_only=True)

    class Meta:
        model = ExpenditureDeclaration
        fields = [
            "id", "person", "person_name", "expenditure_type", "expenditure_type_name", "kind",
            "monthly_amount", "note",
        ]  # fmt: skip
        read_only_fields = fields


class PropertyDeclarationSerializer(serializers.ModelSerializer):
    """A property declaration, as read and as written (in POST …/declarations/)."""

    person = serializers.IntegerField(
        source="person_id",
        required=False,
        allow_null=True,
        default=None,
        help_text=_("A member, or null for the household as a whole."),
    )
    person_name = serializers.CharField(source="person.name", read_only=True, default=None)
    value = money(default=0)
    description = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )
    exempt_reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )

    class Meta:
        model = PropertyDeclaration
        fields = [
            "id", "person", "person_name", "kind", "value", "description", "exempt_reason",
        ]  # fmt: skip
        read_only_fields = ["id", "person_name"]
        validators: list = []


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = [
            "id", "investigation", "original_name", "content_type", "size", "description",
            "uploaded_by", "uploaded_at",
        ]  # fmt: skip
        read_only_fields = fields


class InvestigationSerializer(serializers.ModelSerializer):
    investigators = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Investigation
        fields = [
            "id", "home_visit_on", "investigators", "neighbour_interviews", "evidence_requests",
            "findings", "recorded_by", "recorded_at", "attachments",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer", "nullable": True},
                    "name": {"type": "string"},
                    "unit": {"type": "string"},
                    "role": {"type": "string"},
                },
                "required": ["id", "name", "unit", "role"],
            },
        }
    )
    def get_investigators(self, obj: Investigation) -> list[dict[str, Any]]:
        """Users first (`id` is the user's), then the named persons who are not users
        (`id` null, with unit and role)."""
        users = [
            {"id": u.pk, "name": u.get_full_name() or u.username, "unit": "", "role": "user"}
            for u in sorted(obj.investigators.all(), key=lambda u: u.pk)
        ]
        return users + [
            {"id": None, "name": p.name, "unit": p.unit, "role": p.role}
            for p in obj.named_investigators.all()
        ]


class ObjectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objection
        fields = ["id", "received_on", "objector", "content", "recorded_by", "recorded_at"]
        read_only_fields = fields


class PublicNoticeSerializer(serializers.ModelSerializer):
    objections = ObjectionSerializer(many=True, read_only=True)

    class Meta:
        model = PublicNotice
        fields = [
            "id", "starts_on", "ends_on", "masked_name", "member_count", "amount", "objected",
            "objections",
        ]  # fmt: skip
        read_only_fields = fields


class BenefitAwardSerializer(serializers.ModelSerializer):
    class Meta:
        model = BenefitAward
        fields = [
            "id", "effective_month", "base_amount", "supplement_amount", "total", "members",
            "standard", "reason", "kept_until", "note", "decided_by", "decided_on",
        ]  # fmt: skip
        read_only_fields = fields


class CaseReviewSerializer(serializers.ModelSerializer):
    """A review as read, and as opened (POST …/review-open/: `kind`, `reason`, `on`)."""

    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    on = serializers.DateField(
        write_only=True, required=False, help_text=_("Opened on. Defaults to today.")
    )

    class Meta:
        model = CaseReview
        fields = [
            "id", "kind", "opened_on", "due_on", "reason", "outcome", "closed_on", "closed_by",
            "award", "on",
        ]  # fmt: skip
        read_only_fields = [
            "id", "opened_on", "due_on", "outcome", "closed_on", "closed_by", "award",
        ]  # fmt: skip


class DibaoCaseListSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="__str__", read_only=True, help_text=_("e.g. DB000042"))
    village = serializers.IntegerField(source="household.village_id", read_only=True)
    village_name = serializers.CharField(source="household.village.name", read_only=True)
    town_name = serializers.CharField(source="household.village.parent.name", read_only=True)
    address = serializers.CharField(source="household.address", read_only=True)
    hukou_type = serializers.ChoiceField(
        source="household.hukou_type", choices=Household.Hukou.choices, read_only=True
    )
    applicant_name = serializers.CharField(source="applicant.name", read_only=True, default=None)
    single_person_name = serializers.CharField(
        source="single_person.name", read_only=True, default=None
    )
    deadline = serializers.SerializerMethodField(
        help_text=_(
            "The case's current deadline (acceptance, start of the investigation, end of the "
            "procedure or next review, by status); null if none runs."
        ),
    )
    days_left = serializers.SerializerMethodField(
        help_text=_("Days until the deadline; negative when overdue; null without a deadline.")
    )

    class Meta:
        model = DibaoCase
        fields = [
            "id", "number", "household", "village", "village_name", "town_name", "address",
            "hukou_type", "status", "unit", "single_person", "single_person_name", "applicant",
            "applicant_name", "agent_name", "relative_of_staff", "applied_on", "acceptance_due",
            "accepted_on", "investigation_due", "procedure_due", "deadline", "days_left",
            "proposed_amount", "confirmed_on", "payment_start_month", "next_review_due",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATE)
    def get_deadline(self, obj: DibaoCase) -> dt.date | None:
        return deadlines.case_deadline(obj)

    def get_days_left(self, obj: DibaoCase) -> int | None:
        deadline = deadlines.case_deadline(obj)
        if deadline is None:
            return None
        return (deadline - timezone.localdate()).days


class DibaoCaseDetailSerializer(DibaoCaseListSerializer):
    """A case with its procedure: declarations, investigations, notices, awards, reviews and the
    full transition history. `computation` is the breakdown stored with the proposal or the
    confirmation; GET …/computation/ computes it live."""

    computation = serializers.JSONField(read_only=True)
    persons_without_supporter: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    open_review = serializers.SerializerMethodField(
        help_text=_("The review in progress (closed by POST …/review-close/), or null.")
    )
    allowed_actions = AllowedActionsField(DIBAO)
    transitions = CaseTransitionSerializer(many=True, read_only=True)
    incomes = IncomeDeclarationSerializer(many=True, read_only=True)
    expenditures = ExpenditureDeclarationSerializer(many=True, read_only=True)
    properties = PropertyDeclarationSerializer(many=True, read_only=True)
    investigations = InvestigationSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    notices = PublicNoticeSerializer(many=True, read_only=True)
    awards = BenefitAwardSerializer(many=True, read_only=True)
    reviews = CaseReviewSerializer(many=True, read_only=True)

    class Meta(DibaoCaseListSerializer.Meta):
        fields = [
            *DibaoCaseListSerializer.Meta.fields,
            "relative_note", "extension_reason", "authorization_signed_on",
            "good_faith_signed_on", "proposed_on", "proposed_by", "standard", "computation",
            "confirmed_by", "refused_on", "refusal_reasons", "payment_stop_month",
            "review_interval_months", "persons_without_supporter", "open_review",
            "allowed_actions", "transitions",
            "incomes", "expenditures", "properties", "investigations", "attachments", "notices",
            "awards", "reviews",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_open_review(self, obj: DibaoCase) -> int | None:
        return next((r.pk for r in obj.reviews.all() if r.closed_on is None), None)


# ----------------------------------------------------------------------------- dibao cases: write


class DibaoCaseCreateSerializer(serializers.Serializer):
    household = serializers.IntegerField(help_text=_("A household in your area."))
    unit = serializers.ChoiceField(choices=DibaoCase.Unit.choices, default=DibaoCase.Unit.HOUSEHOLD)
    single_person = serializers.IntegerField(
        required=False, allow_null=True,
        help_text=_("For a single-person unit: the severely disabled adult member."),
    )  # fmt: skip
    applicant = serializers.IntegerField(
        required=False, allow_null=True,
        help_text=_("The applying member; or give `agent_name`."),
    )  # fmt: skip
    agent_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    relative_of_staff = serializers.BooleanField(default=False)
    relative_note = serializers.CharField(max_length=255, required=False, allow_blank=True)


class DibaoSignSerializer(serializers.Serializer):
    authorization_on = serializers.DateField(
        help_text=_("The data-check authorisation was signed on.")
    )
    good_faith_on = serializers.DateField(help_text=_("The good-faith declaration was signed on."))


class DibaoApplySerializer(serializers.Serializer):
    applied_on = serializers.DateField(
        required=False, help_text=_("The application date. Defaults to today.")
    )


class DibaoAcceptSerializer(serializers.Serializer):
    accepted_on = serializers.DateField(
        required=False, help_text=_("The acceptance date (starts the clocks). Defaults to today.")
    )


class DibaoReceiveSerializer(serializers.Serializer):
    """The reception at the window: application, signatures and acceptance in one step."""

    applied_on = serializers.DateField(
        required=False, help_text=_("The application date. Defaults to today.")
    )
    authorization_on = serializers.DateField(
        required=False,
        help_text=_("The data-check authorisation was signed on. Defaults to today."),
    )
    good_faith_on = serializers.DateField(
        required=False, help_text=_("The good-faith declaration was signed on. Defaults to today.")
    )
    accepted_on = serializers.DateField(
        required=False, help_text=_("The acceptance date (starts the clocks). Defaults to today.")
    )
    start_investigation = serializers.BooleanField(
        required=False, default=False, help_text=_("Start the investigation in the same step.")
    )


class DibaoReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=REASON_HELP)


class DibaoIncomeWriteSerializer(serializers.Serializer):
    person = serializers.IntegerField(help_text=_("A member of the household."))
    income_type = serializers.SlugRelatedField(
        slug_field="code", queryset=IncomeType.objects.all(), help_text=_("Income type code.")
    )
    monthly_amount = money()
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class DibaoExpenditureWriteSerializer(serializers.Serializer):
    person = serializers.IntegerField(help_text=_("A member of the household."))
    expenditure_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ExpenditureType.objects.all(),
        help_text=_("Expenditure type code."),
    )
    monthly_amount = money()
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class DibaoDeclarationsSerializer(serializers.Serializer):
    """The complete declarations: they replace the case's current ones as a whole."""

    incomes = DibaoIncomeWriteSerializer(many=True)
    expenditures = DibaoExpenditureWriteSerializer(many=True)
    properties = PropertyDeclarationSerializer(many=True)


class NamedInvestigatorWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, help_text=_("Full name."))
    unit = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=NamedInvestigator.Role.choices)


class DibaoInvestigationWriteSerializer(serializers.Serializer):
    home_visit_on = serializers.DateField()
    investigators = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text=_(
            "User ids of the investigators who are users, whose area covers the case; with "
            "named_investigators at least two in all."
        ),
    )
    named_investigators = NamedInvestigatorWriteSerializer(
        many=True,
        required=False,
        default=list,
        help_text=_("Investigators who are not users (a village cadre…): name, unit, role."),
    )
    findings = serializers.CharField()
    neighbour_interviews = serializers.CharField(required=False, allow_blank=True, default="")
    evidence_requests = serializers.CharField(required=False, allow_blank=True, default="")
    persons_without_supporter = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "Members without income, work capacity or legal supporter (each gets the full "
            "standard). Omit to leave the current list unchanged."
        ),
    )


class DibaoAttachmentWriteSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("JPEG, PNG or PDF, at most 10 MB."))
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    investigation = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("An investigation of this case.")
    )


class DibaoProposeSerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False, help_text=_("The policy in force on this date is used. Defaults to today.")
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DibaoStartNoticeSerializer(serializers.Serializer):
    starts_on = serializers.DateField(
        required=False, help_text=_("First day of the public notice. Defaults to today.")
    )
    backdate_reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required when the notice started before today: why."),
    )


class DibaoObjectSerializer(serializers.Serializer):
    received_on = serializers.DateField(
        required=False, help_text=_("Within the notice period. Defaults to today.")
    )
    content = serializers.CharField()
    objector = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class DibaoConfirmSerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False, help_text=_("After the public notice has ended. Defaults to today.")
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DibaoReproposeSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Why; required when the household's data still give the published amount."),
    )


class DibaoRefuseSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text=_("The refusal date. Defaults to today."))
    reasons = serializers.CharField(help_text=_("The written reasons."))


class DibaoReviewCloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CaseReview.Outcome.choices)
    on = serializers.DateField(required=False, help_text=_("Decided on. Defaults to today."))
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DibaoComputationSerializer(serializers.Serializer):
    """The live benefit computation (assistance.dibao.services.case_breakdown). Money as strings."""

    on = serializers.DateField()
    members = serializers.IntegerField()
    standard = money()
    standard_id = serializers.IntegerField(allow_null=True)
    standard_interpolated = serializers.BooleanField()
    counted_income = money()
    excluded_income = money()
    excluded_items = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("[income type, amount] pairs not counted as income."),
    )
    rigid_deductions = money()
    employment_deductions = money()
    net_income = money()
    per_capita_income = money()
    top_up_per_person = money()
    base_amount = money()
    supplement_amount = money()
    price_subsidy = money()
    unrounded_total = money()
    total = money()
    eligible = serializers.BooleanField()
    member_lines = serializers.ListField(child=serializers.DictField())
    notes = serializers.ListField(child=serializers.CharField())
    property_findings = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Property limits the declarations break (a reviewer may waive them)."),
    )


# ----------------------------------------------------------------------------- policy data


class DibaoStandardSerializer(serializers.ModelSerializer):
    """A dibao standard as read and written. Writes check that `valid_to` is not before
    `valid_from` and that the county has no other standard in force over the same period."""

    county = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.filter(level=Region.Level.COUNTY),
        help_text=_("A county-level region (district or county-level city)."),
    )
    county_code = serializers.CharField(source="county.code", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)

    class Meta:
        model = DibaoStandard
        fields = [
            "id", "county", "county_code", "county_name", "valid_from", "valid_to", "urban",
            "rural", "interpolated", "source_document", "note", "updated_by", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "county_code", "county_name", "updated_by", "updated_at"]
        # The overlap check (views._standard_save) covers the (county, valid_from) uniqueness
        # with a clearer message.
        validators: list = []
        extra_kwargs = {
            "urban": {"min_value": 0},
            "rural": {"min_value": 0},
        }


class CategorySupplementSerializer(serializers.ModelSerializer):
    class Meta:
        model = CategorySupplement
        fields = [
            "id", "category", "percent", "valid_from", "valid_to", "source_document", "note",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class PolicyParameterSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyParameter
        fields = [
            "id", "key", "value", "valid_from", "valid_to", "source_document", "note",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
