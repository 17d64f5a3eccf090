"""Serializer fields shared by every app's API."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .workflow import Workflow


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string"},
        "description": "The actions you may take on this object now (its workflow declaration).",
    }
)
class AllowedActionsField(serializers.Field):
    """`allowed_actions`: exactly what the services would let the requesting user do now, read
    from the process's workflow declaration (the same list the page's buttons come from)."""

    def __init__(self, workflow: Workflow[Any], **kwargs: Any) -> None:
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)
        self.workflow = workflow

    def to_representation(self, value: Any) -> list[str]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        return self.workflow.allowed(value, user)
