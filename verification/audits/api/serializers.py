"""Thin serializers of the audit API: what a plan, a stratum and a sample show, and the input
each action takes (the services validate again)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import AllowedActionsField
from core.models import Region, User
from core.roles import Role

from ...models import AuditPlan, AuditPlanTransition, AuditSample, AuditStratum
from ..services import sample_allowed
from ..workflow import AUDIT, SAMPLE_ACTIONS


class PlanTransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None)

    class Meta:
        model = AuditPlanTransition
        fields = ["action", "from_status", "to_status", "by", "at", "reason", "sample"]


class StratumSerializer(serializers.ModelSerializer):
    town_name = serializers.CharField(source="town.name")
    weight = serializers.DecimalField(max_digits=12, decimal_places=4)

    class Meta:
        model = AuditStratum
        fields = [
            "id",
            "frame",
            "town",
            "town_name",
            "category",
            "population",
            "sample_size",
            "weight",
        ]


class PlanActionsField(AllowedActionsField):
    """The plan's own actions; `record` and `correct` are each sample's `allowed_actions`."""

    def to_representation(self, value: Any) -> list[str]:
        return [a for a in super().to_representation(value) if a not in SAMPLE_ACTIONS]


class PlanSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="__str__")
    region_name = serializers.CharField(source="region.name")
    n_samples = serializers.IntegerField(read_only=True, default=0)
    n_recorded = serializers.IntegerField(read_only=True, default=0)
    n_discrepant = serializers.IntegerField(read_only=True, default=0)
    status = serializers.ChoiceField(choices=AuditPlan.Status.choices, read_only=True)
    allowed_actions = PlanActionsField(AUDIT)

    class Meta:
        model = AuditPlan
        fields = [
            "id",
            "number",
            "name",
            "region",
            "region_name",
            "period_from",
            "period_to",
            "allocation",
            "sample_percent",
            "per_stratum",
            "min_per_stratum",
            "seed",
            "status",
            "auditors",
            "drawn_at",
            "closed_at",
            "cancelled_at",
            "n_samples",
            "n_recorded",
            "n_discrepant",
            "allowed_actions",
        ]


class PlanDetailSerializer(PlanSerializer):
    strata = StratumSerializer(many=True, read_only=True)
    transitions = PlanTransitionSerializer(many=True, read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "strata", "transitions"]


class PlanCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    region = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.filter(level__in=(Region.Level.CITY, Region.Level.COUNTY))
    )
    period_from = serializers.DateField()
    period_to = serializers.DateField()
    allocation = serializers.ChoiceField(
        choices=AuditPlan.Allocation.choices, default="proportional"
    )
    sample_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    per_stratum = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    min_per_stratum = serializers.IntegerField(
        min_value=1, max_value=1000, required=False, allow_null=True
    )
    seed = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True
    )
    auditors = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.AUDITOR), many=True
    )


class AssignSerializer(serializers.Serializer):
    auditors = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.AUDITOR), many=True
    )


class CloseSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why the plan is cancelled.")


class SampleSerializer(serializers.ModelSerializer):
    frame = serializers.CharField(source="stratum.frame")
    category = serializers.CharField(source="stratum.category")
    town = serializers.IntegerField(source="stratum.town_id")
    town_name = serializers.CharField(source="stratum.town.name")
    household_label = serializers.CharField(source="household.__str__")
    case_status = serializers.CharField(source="dibao_case.status", default=None)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, default=None)
    recorded_by = serializers.CharField(source="recorded_by.username", default=None)

    class Meta:
        model = AuditSample
        fields = [
            "id",
            "plan",
            "frame",
            "category",
            "town",
            "town_name",
            "household",
            "household_label",
            "dibao_case",
            "case_status",
            "amount",
            "programme_case",
            "rank",
            "weight",
            "result",
            "discrepancy_kind",
            "details",
            "visited_on",
            "recorded_by",
            "recorded_at",
            "version",
            "review",
        ]
        extra_kwargs = {
            "version": {
                "help_text": "Bumped by the record and each correction; a correction names it."
            }
        }


class MemberSerializer(serializers.Serializer):
    name = serializers.CharField()
    relation = serializers.CharField()
    sex = serializers.CharField()
    id_number_masked = serializers.CharField(allow_null=True, help_text="core.personal_data")
    birth = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)


class SampleDetailSerializer(SampleSerializer):
    members = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(SampleSerializer.Meta):
        fields = [*SampleSerializer.Meta.fields, "members", "allowed_actions"]

    @extend_schema_field(
        {
            "type": "array",
            "items": {"type": "string", "enum": ["record", "correct"]},
            "description": "What you may do on this household now (the page's forms).",
        }
    )
    def get_allowed_actions(self, obj: AuditSample) -> list[str]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        return sample_allowed(obj, user)

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, obj: AuditSample) -> list[dict[str, Any]]:
        return [vars(m) for m in self.context["members"]]


class RecordSerializer(serializers.Serializer):
    # The same choices as the sample's result (one enum in the schema); "pending" is refused.
    result = serializers.ChoiceField(choices=AuditSample.Result.choices)
    discrepancy_kind = serializers.ChoiceField(
        choices=AuditSample.Discrepancy.choices, required=False, allow_blank=True, default=""
    )
    details = serializers.CharField(required=False, allow_blank=True, default="")
    visited_on = serializers.DateField()


class CorrectSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=AuditSample.Result.choices)
    discrepancy_kind = serializers.ChoiceField(
        choices=AuditSample.Discrepancy.choices, required=False, allow_blank=True, default=""
    )
    details = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=500, help_text="Why the result is corrected.")
    version = serializers.IntegerField(
        min_value=0,
        help_text="The sample's `version` as you read it: if it was corrected since, 409.",
    )
