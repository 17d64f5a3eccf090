from typing import Any

from rest_framework import serializers

from core.masking import mask_id_number
from core.models import Region

from ..models import Household, Membership, Person, Relation
from ..services import PERSON_FIELDS


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "kind", "parent", "parent_code", "area_class"]


class PersonSerializer(serializers.ModelSerializer):
    """Full ID numbers are never listed: `id_number_masked` only. Writes take `id_number`."""

    id_number = serializers.CharField(write_only=True, max_length=20)
    id_number_masked = serializers.SerializerMethodField()
    age = serializers.IntegerField(read_only=True)
    labour_capacity = serializers.SerializerMethodField()
    household = serializers.IntegerField(source="household_id", read_only=True, default=None)

    class Meta:
        model = Person
        fields = [
            "id", "name", "id_number", "id_number_masked", "sex", "birth_date", "age",
            "phone", "disability_category", "disability_grade", "serious_illness",
            "labour_capacity_assessed", "labour_capacity_reason", "labour_capacity",
            "willing_to_accept_help", "in_school", "employment_status", "bank_name",
            "bank_account", "household",
        ]
        read_only_fields = ["sex", "birth_date"]
        # Validation lives in the services (one place, shared with the pages).
        extra_kwargs = {"id_number": {"validators": []}}

    def get_id_number_masked(self, obj: Person) -> str:
        return mask_id_number(obj.id_number)

    def get_labour_capacity(self, obj: Person) -> str:
        return obj.labour_capacity()


class PersonWriteSerializer(serializers.Serializer):
    """Person fields accepted on create/update; checked again by the services."""

    name = serializers.CharField(max_length=50, required=False)
    id_number = serializers.CharField(max_length=20, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    disability_category = serializers.CharField(required=False, allow_blank=True)
    disability_grade = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=4)
    labour_capacity_assessed = serializers.CharField(required=False, allow_blank=True)
    labour_capacity_reason = serializers.CharField(required=False, allow_blank=True)
    willing_to_accept_help = serializers.BooleanField(required=False)
    in_school = serializers.BooleanField(required=False)
    employment_status = serializers.CharField(required=False)
    bank_name = serializers.CharField(required=False, allow_blank=True)
    bank_account = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in attrs.items() if k in PERSON_FIELDS}


class MemberWriteSerializer(PersonWriteSerializer):
    relation = serializers.ChoiceField(choices=Relation.choices)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        relation = attrs.pop("relation")
        return {"relation": relation, "person": super().validate(attrs)}


class MembershipSerializer(serializers.ModelSerializer):
    person = PersonSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "person", "relation", "start_date", "end_date", "end_reason"]


class HouseholdListSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    town_name = serializers.CharField(source="village.parent.name", read_only=True)
    head_name = serializers.CharField(read_only=True, default=None)
    member_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Household
        fields = [
            "id", "village", "village_name", "town_name", "address", "hukou_type",
            "head_name", "member_count", "created_at",
        ]


class HouseholdDetailSerializer(HouseholdListSerializer):
    members = serializers.SerializerMethodField()

    class Meta(HouseholdListSerializer.Meta):
        fields = [*HouseholdListSerializer.Meta.fields, "members"]

    def get_members(self, obj: Household) -> list[dict[str, Any]]:
        active = [m for m in obj.memberships.all() if m.end_date is None]
        return MembershipSerializer(active, many=True).data  # type: ignore[return-value]


class HouseholdCreateSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    address = serializers.CharField(max_length=255)
    hukou_type = serializers.ChoiceField(choices=Household.Hukou.choices)
    members = MemberWriteSerializer(many=True)


class HouseholdUpdateSerializer(serializers.Serializer):
    village = serializers.IntegerField(required=False)
    address = serializers.CharField(max_length=255, required=False)
    hukou_type = serializers.ChoiceField(choices=Household.Hukou.choices, required=False)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True)
