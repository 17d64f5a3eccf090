"""Thin serializers of the linkage API: what a hand-off, a phase-out and an enrolment show, and
the input each action takes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from poverty.models import PovertyCause

from ..kinds import REASSESSMENT_OUTCOMES
from ..models import Handoff, HandoffDecision, HandoffTransition, InsuranceEnrolment, PhaseOut
from ..workflow import HANDOFF


class HandoffTransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None)

    class Meta:
        model = HandoffTransition
        fields = ["action", "from_status", "to_status", "by", "at", "reason"]


class HandoffDecisionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username")

    class Meta:
        model = HandoffDecision
        fields = ["stage", "decision", "role", "by", "at", "reason"]


class HandoffListSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="__str__")
    village = serializers.CharField(source="region.name")

    class Meta:
        model = Handoff
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "from_department",
            "to_department",
            "household",
            "village",
            "dibao_case",
            "poverty_record",
            "stage",
            "stage_role",
            "stage_level",
            "stage_required",
            "outcome",
            "opened_on",
            "acknowledge_due",
            "decide_due",
            "acknowledged_on",
            "decided_on",
            "escalated_on",
        ]


class HandoffDetailSerializer(HandoffListSerializer):
    allowed_actions = serializers.SerializerMethodField()
    transitions = HandoffTransitionSerializer(many=True, read_only=True)
    decisions = HandoffDecisionSerializer(many=True, read_only=True)
    policy_valid_from = serializers.DateField(source="policy.valid_from")

    class Meta(HandoffListSerializer.Meta):
        fields = [
            *HandoffListSerializer.Meta.fields,
            "reason",
            "details",
            "policy",
            "policy_valid_from",
            "allowed_actions",
            "transitions",
            "decisions",
        ]

    def get_allowed_actions(self, obj: Handoff) -> list[str]:
        return HANDOFF.allowed(obj, self.context["request"].user)


class HandoffReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class HandoffRequiredReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class HandoffApproveSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")
    outcome = serializers.CharField(allow_blank=True, required=False, default="")
    decided_on = serializers.DateField(required=False)
    causes = serializers.ListField(
        child=serializers.ChoiceField(choices=PovertyCause.choices), required=False
    )


class PhaseOutSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="__str__")
    kept_amount = serializers.DecimalField(source="award.total", max_digits=12, decimal_places=2)

    class Meta:
        model = PhaseOut
        fields = [
            "id",
            "number",
            "case",
            "household",
            "status",
            "decision",
            "decided_on",
            "start_month",
            "kept_until",
            "due_on",
            "kept_amount",
            "outcome",
            "closed_on",
        ]


class PhaseOutReassessSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=REASSESSMENT_OUTCOMES)
    on = serializers.DateField(required=False)
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class EnrolmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name")
    village = serializers.CharField(source="region.name")

    class Meta:
        model = InsuranceEnrolment
        fields = ["id", "person", "name", "household", "village", "status", "status_on", "note"]
        read_only_fields = ["person", "household"]


class EnrolmentUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InsuranceEnrolment.Status.choices)
    status_on = serializers.DateField()
    note = serializers.CharField(allow_blank=True, required=False, default="")

    def to_representation(self, instance: Any) -> Any:
        return EnrolmentSerializer(instance).data
