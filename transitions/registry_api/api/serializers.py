"""The DCI-shaped request and response bodies (shape only: the grant and the query are checked
by transitions.registry_api.services, each refusal with its own code)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from transitions.models import RegistrySubscription, RegistryTransaction

from ..fields import ID_TYPES, NAMES


class PaginationSerializer(serializers.Serializer):
    page_size = serializers.IntegerField(required=False)
    page_number = serializers.IntegerField(required=False)


class SearchCriteriaSerializer(serializers.Serializer):
    reg_type = serializers.ChoiceField(choices=["person"], required=False, default="person")
    query_type = serializers.CharField(help_text=_("idtype-value or expression"))
    query = serializers.JSONField(
        help_text=_(
            'idtype-value: {"type": one of %(types)s, "value": …}; expression: {"expression": '
            '[{"attribute_name", "operator", "attribute_value"}, …]} (all must hold).'
        )
        % {"types": ", ".join(ID_TYPES)}
    )
    fields = serializers.ListField(  # type: ignore[assignment]  # a body key, not .fields
        child=serializers.CharField(),
        required=False,
        help_text=_("Fields of each record (default: all the client is granted). Known: %(f)s.")
        % {"f": ", ".join(NAMES)},
    )
    region_code = serializers.CharField(required=False, help_text=_("Within the client's regions."))
    as_of = serializers.DateField(
        required=False, help_text=_("Answer as the registry stood on this day (default today).")
    )
    pagination = PaginationSerializer(required=False)


class SearchRequestSerializer(serializers.Serializer):
    reference_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    search_criteria = SearchCriteriaSerializer()


class PageInfoSerializer(serializers.Serializer):
    page_size = serializers.IntegerField()
    page_number = serializers.IntegerField()
    total_count = serializers.IntegerField()


class SearchResponseSerializer(serializers.Serializer):
    transaction_id = serializers.UUIDField()
    reference_id = serializers.CharField()
    status = serializers.CharField()
    as_of = serializers.DateField()
    pagination = PageInfoSerializer()
    reg_records = serializers.ListField(child=serializers.DictField())


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    field = serializers.CharField(required=False)
    transaction_id = serializers.UUIDField(required=False)


class SubscribeRequestSerializer(serializers.Serializer):
    reference_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    region_code = serializers.CharField()
    event_types = serializers.ListField(
        child=serializers.CharField(), help_text=", ".join(RegistrySubscription.Event.values)
    )
    callback_url = serializers.URLField(max_length=500)


class SubscribeResponseSerializer(serializers.Serializer):
    transaction_id = serializers.UUIDField()
    reference_id = serializers.CharField()
    status = serializers.CharField()
    subscription_id = serializers.IntegerField()


class UnsubscribeRequestSerializer(serializers.Serializer):
    reference_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    subscription_id = serializers.IntegerField()


class TxnStatusRequestSerializer(serializers.Serializer):
    transaction_id = serializers.UUIDField()


class TxnStatusResponseSerializer(serializers.ModelSerializer):
    transaction_id = serializers.UUIDField(source="id")

    class Meta:
        model = RegistryTransaction
        fields = [
            "transaction_id",
            "kind",
            "reference_id",
            "status",
            "record_count",
            "total_count",
            "error_code",
            "created_at",
            "completed_at",
        ]
