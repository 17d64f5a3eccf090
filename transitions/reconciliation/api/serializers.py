"""What differences and inbound batches show over the API, and the inputs."""

from __future__ import annotations

from rest_framework import serializers

from ...models import Difference, DifferenceTransition, InboundBatch
from ..workflow import DIFFERENCE


class DifferenceTransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None)

    class Meta:
        model = DifferenceTransition
        fields = ["action", "from_status", "to_status", "by", "at", "reason"]


class DifferenceSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", default=None)
    person_name = serializers.CharField(source="person.name", default=None)

    class Meta:
        model = Difference
        fields = [
            "id",
            "category",
            "key",
            "owner",
            "status",
            "region",
            "household",
            "person",
            "person_name",
            "detail",
            "reason",
            "found_at",
            "updated_at",
            "version",
        ]


class DifferenceDetailSerializer(DifferenceSerializer):
    transitions = DifferenceTransitionSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(DifferenceSerializer.Meta):
        fields = [*DifferenceSerializer.Meta.fields, "transitions", "allowed_actions"]

    def get_allowed_actions(self, diff: Difference) -> list[str]:
        return DIFFERENCE.allowed(diff, self.context["request"].user)


class ExplainSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    version = serializers.IntegerField(required=False)


class ReconciliationJobSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    status = serializers.CharField()


class InboundBatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = InboundBatch
        fields = [
            "id",
            "stream",
            "sender",
            "kind",
            "period",
            "sequence",
            "sha256",
            "original_name",
            "status",
            "rows_total",
            "rows_invalid",
            "duplicates",
            "matched",
            "new",
            "changed",
            "unmatched",
            "problems",
            "message",
            "received_at",
            "job",
        ]


class InboundReceiveSerializer(serializers.Serializer):
    stream = serializers.CharField(max_length=40)
    sender = serializers.CharField(max_length=40)
    period = serializers.CharField(max_length=10, help_text="YYYY-MM, a month that has ended")
    sequence = serializers.IntegerField(min_value=1)
    sha256 = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    file = serializers.FileField()
