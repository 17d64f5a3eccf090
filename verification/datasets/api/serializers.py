"""Thin serializers of /api/v1/datasets/: what a snapshot shows, and each action's input."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import DatasetSnapshot, ImportRowError, KindChoices, SnapshotTransition
from ..workflow import allowed_actions


class SnapshotTransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None)

    class Meta:
        model = SnapshotTransition
        fields = ["action", "from_status", "to_status", "by", "at", "reason"]


class JobProgressSerializer(serializers.Serializer):
    status = serializers.CharField()
    done = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total")
    percent = serializers.IntegerField()
    message = serializers.CharField()


class SnapshotSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=KindChoices.choices, read_only=True)
    status = serializers.ChoiceField(choices=DatasetSnapshot.Status.choices, read_only=True)
    kind_label = serializers.CharField(source="get_kind_display")
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    decided_by = serializers.CharField(source="decided_by.username", default=None)
    progress = JobProgressSerializer(source="job", allow_null=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = DatasetSnapshot
        fields = [
            "id",
            "kind",
            "kind_label",
            "department",
            "as_of",
            "status",
            "file_format",
            "original_name",
            "sha256",
            "size",
            "encoding",
            "rows_total",
            "rows_valid",
            "rows_invalid",
            "invalid_percent",
            "message",
            "progress",
            "uploaded_by",
            "uploaded_at",
            "validated_at",
            "decided_by",
            "decided_at",
            "merged_at",
            "superseded_by",
            "allowed_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "array",
            "items": {"type": "string"},
            "description": "The actions you may take on this snapshot now (its workflow).",
        }
    )
    def get_allowed_actions(self, obj: DatasetSnapshot) -> list[str]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        return allowed_actions(obj, user)


class SnapshotDetailSerializer(SnapshotSerializer):
    history = SnapshotTransitionSerializer(source="transitions", many=True)

    class Meta(SnapshotSerializer.Meta):
        fields = [*SnapshotSerializer.Meta.fields, "history"]
        read_only_fields = fields


class SnapshotUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KindChoices.choices)
    as_of = serializers.DateField()
    file = serializers.FileField()

    def to_representation(self, instance: Any) -> Any:  # pragma: no cover - input only
        return {}


class DatasetReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DatasetRequiredReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["row_no", "column", "value", "message"]


class RowErrorPageSerializer(serializers.Serializer):
    """One page of a snapshot's bad cells (`page`, `page_size` as on every list)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RowErrorSerializer(many=True)
