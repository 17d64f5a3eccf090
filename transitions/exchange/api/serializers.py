"""What an exchange batch shows over the API, and the input of build and acknowledge."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import ExchangeBatch, ExchangeBatchFile, ExchangeBatchTransition
from ..services import exchange_batch_verify
from ..workflow import BATCH


class ExchangeBatchFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExchangeBatchFile
        fields = ["name", "sha256", "rows", "size"]


class ExchangeBatchTransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None)

    class Meta:
        model = ExchangeBatchTransition
        fields = ["action", "from_status", "to_status", "by", "at", "reason"]


class ExchangeBatchListSerializer(serializers.ModelSerializer):
    overdue = serializers.BooleanField(read_only=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None)

    class Meta:
        model = ExchangeBatch
        fields = [
            "id",
            "stream",
            "sender",
            "receiver",
            "kind",
            "period",
            "sequence",
            "row_count",
            "manifest_sha256",
            "status",
            "built_at",
            "acknowledged_at",
            "acknowledged_by",
            "overdue",
        ]


class ExchangeProblemSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=["manifest_altered", "missing_file", "altered_file", "sequence_gap", "broken_chain"]
    )
    message = serializers.CharField()


class ExchangeBatchDetailSerializer(ExchangeBatchListSerializer):
    files = ExchangeBatchFileSerializer(many=True, read_only=True)
    transitions = ExchangeBatchTransitionSerializer(many=True, read_only=True)
    problems = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(ExchangeBatchListSerializer.Meta):
        fields = [
            *ExchangeBatchListSerializer.Meta.fields,
            "manifest",
            "files",
            "transitions",
            "problems",
            "allowed_actions",
        ]

    @extend_schema_field(ExchangeProblemSerializer(many=True))
    def get_problems(self, batch: ExchangeBatch) -> list[dict[str, Any]]:
        return [{"code": p.code, "message": p.message} for p in exchange_batch_verify(batch)]

    def get_allowed_actions(self, batch: ExchangeBatch) -> list[str]:
        return BATCH.allowed(batch, self.context["request"].user)


class ExchangeBuildSerializer(serializers.Serializer):
    stream = serializers.CharField(max_length=40)
    period = serializers.CharField(max_length=10, help_text="YYYY-MM, a month that has ended")


class ExchangeAcknowledgeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ExchangeBuildJobSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    status = serializers.CharField()
