"""Thin serializers of the poverty API: shapes only; every rule is the services'."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import AllowedActionsField
from poverty.models import (
    AssistanceMeasure,
    ExitCertificate,
    MeasureKind,
    PovertyCause,
    PovertyRecord,
    PovertyRecordTransition,
)
from poverty.workflow import POVERTY


class PovertyTransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", read_only=True, default=None)

    class Meta:
        model = PovertyRecordTransition
        fields = ["action", "from_status", "to_status", "by", "at", "reason"]
        read_only_fields = fields


class AssistanceMeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssistanceMeasure
        fields = [
            "id", "household", "record", "kind", "started_on", "department",
            "responsible_person", "funds", "outcome", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ExitCertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExitCertificate
        fields = ["id", "number", "content_hash", "issued_at"]
        read_only_fields = fields


class PovertyRecordListSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="__str__", read_only=True, help_text="e.g. PR000042")
    village = serializers.IntegerField(source="household.village_id", read_only=True)
    village_name = serializers.CharField(source="household.village.name", read_only=True)
    town_name = serializers.CharField(source="household.village.parent.name", read_only=True)
    causes = serializers.ListField(child=serializers.ChoiceField(choices=PovertyCause.choices))

    class Meta:
        model = PovertyRecord
        fields = [
            "id", "number", "household", "village", "village_name", "town_name", "status",
            "registered_on", "causes", "exit_proposed_on", "exit_income_per_capita",
            "exit_confirmed_on", "exit_document_no", "exit_confirming_level", "returned_on",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class PovertyRecordDetailSerializer(PovertyRecordListSerializer):
    allowed_actions = AllowedActionsField(POVERTY)
    exit_evidence = serializers.CharField(read_only=True)
    measures = AssistanceMeasureSerializer(many=True, read_only=True)
    certificates = ExitCertificateSerializer(many=True, read_only=True)
    transitions = PovertyTransitionSerializer(many=True, read_only=True)
    aid_proposed = serializers.SerializerMethodField()

    class Meta(PovertyRecordListSerializer.Meta):
        fields = [
            *PovertyRecordListSerializer.Meta.fields,
            "exit_evidence", "allowed_actions", "aid_proposed", "measures", "certificates",
            "transitions",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_aid_proposed(self, obj: PovertyRecord) -> list[str]:
        from poverty.rules import aid_for_causes

        return [a.code for a in aid_for_causes(obj.causes)]


class PovertyRegisterSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    registered_on = serializers.DateField()
    causes = serializers.ListField(
        child=serializers.ChoiceField(choices=PovertyCause.choices), allow_empty=True
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PovertyProposeExitSerializer(serializers.Serializer):
    on = serializers.DateField()
    income_per_capita = serializers.DecimalField(max_digits=12, decimal_places=2)
    evidence = serializers.CharField(allow_blank=True)


class PovertyConfirmExitSerializer(serializers.Serializer):
    confirmed_on = serializers.DateField()
    document_no = serializers.CharField(allow_blank=True)
    confirming_level = serializers.ChoiceField(choices=PovertyRecord.ConfirmingLevel.choices)


class PovertyReturnSerializer(serializers.Serializer):
    on = serializers.DateField()
    reason = serializers.CharField(allow_blank=True)


class PovertyReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class AssistanceMeasureWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MeasureKind.choices)
    started_on = serializers.DateField()
    department = serializers.CharField(allow_blank=True)
    responsible_person = serializers.CharField(allow_blank=True)
    funds = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    outcome = serializers.CharField(required=False, allow_blank=True, default="")
