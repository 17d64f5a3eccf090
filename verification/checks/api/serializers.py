"""Thin serializers of the cross-check API: shapes only; every rule is the services'."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import AllowedActionsField
from core.workflow import has_any_perm
from verification.checks.workflow import FINDING
from verification.models import CrossCheckRun, Finding, FindingTransition, KindChoices
from verification.models.checks import Category


class FindingTransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", read_only=True, default=None)

    class Meta:
        model = FindingTransition
        fields = ["action", "from_status", "to_status", "by", "at", "reason"]
        read_only_fields = fields


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string"},
        "description": "The actions you may take on this finding now (its workflow declaration).",
    }
)
class FindingActionsField(AllowedActionsField):
    """`allowed_actions` from the prefetched history (no query per row on a list)."""

    def to_representation(self, value: Any) -> list[str]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        actors: dict[str, set[int]] = {}
        for t in value.transitions.all():
            if t.by_id is not None:
                actors.setdefault(t.action, set()).add(t.by_id)
        return [
            a.name
            for a in FINDING.actions_list
            if not a.system
            and value.state in a.sources
            and has_any_perm(user, a.permission)
            and FINDING.may(value, a.name, user, actors=actors)
        ]


class FindingSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="__str__", read_only=True, help_text="e.g. F000042")
    rule_label = serializers.CharField(source="rule.label", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    town_name = serializers.CharField(source="village.parent.name", read_only=True)
    allowed_actions = FindingActionsField(FINDING)
    # Enums named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] (other apps have a "kind").
    kind = serializers.ChoiceField(choices=KindChoices.choices, read_only=True)
    category = serializers.ChoiceField(choices=Category.choices, read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id", "number", "household", "person", "case", "village", "village_name",
            "town_name", "county", "rule_code", "rule", "rule_label", "kind", "category",
            "evidence_key", "snapshot", "row_no", "first_snapshot", "value", "threshold",
            "state", "first_run", "last_run", "times_seen", "created_at", "updated_at",
            "resolved_by", "resolved_at", "resolution_reason", "review", "allowed_actions",
        ]  # fmt: skip
        read_only_fields = fields


class FindingDetailSerializer(FindingSerializer):
    evidence = serializers.JSONField(read_only=True)
    transitions = FindingTransitionSerializer(many=True, read_only=True)

    class Meta(FindingSerializer.Meta):
        fields = [*FindingSerializer.Meta.fields, "evidence", "transitions"]
        read_only_fields = fields


class FindingConfirmSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    open_review = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Open a review (reported change) of the active case in the same transaction.",
    )


class FindingReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class CrossCheckRunSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(source="job.percent", read_only=True, default=0)
    # A string: its values are a job's (JobStatusEnum) but its labels are not, and one set of
    # values can have only one name in the schema.
    status = serializers.CharField(read_only=True, help_text="queued, running, done or failed.")

    class Meta:
        model = CrossCheckRun
        fields = [
            "id", "scope", "parameters", "region", "trigger", "case",
            "authorization_signed_on", "as_of", "snapshot_ids", "rule_ids", "status", "job",
            "progress_percent", "districts", "districts_done", "persons", "households",
            "findings_new", "findings_recurring", "findings_seen", "findings_cleared", "message",
            "started_by",
            "created_at", "started_at", "finished_at", "duration",
        ]  # fmt: skip
        read_only_fields = fields


class CrossCheckRunCreateSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=CrossCheckRun.Scope.choices)
    region = serializers.IntegerField(
        required=False, help_text="Region id (scopes pending, active, district)."
    )
    cases = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Case ids (scope cases)."
    )
    household = serializers.IntegerField(required=False, help_text="Household id.")
