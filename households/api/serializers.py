"""API serializers. Read serializers render selector rows; write serializers only check shapes
and types: the rules (ID numbers, duplicates, heads, scope) live in households.services, shared
with the pages, and their errors come back through core.api.exception_handler."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.masking import mask_id_number
from core.models import Region
from core.personal_data import visible

from ..ages import age_bands
from ..models import (
    DisabilityCategory,
    EmploymentStatus,
    Household,
    LabourCapacity,
    Membership,
    Person,
    Relation,
    SeriousIllness,
)
from ..services import PERSON_FIELDS


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "kind", "parent", "parent_code", "area_class"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    """A person as read. Full ID numbers are never listed: `id_number_masked` only."""

    id_number_masked = serializers.SerializerMethodField()
    age = serializers.IntegerField(read_only=True)
    labour_capacity = serializers.SerializerMethodField()
    # Shown as core.personal_data's table lets the requesting user see them.
    birth_date = serializers.CharField(
        read_only=True, allow_null=True,
        help_text=_("YYYY-MM-DD; the year only, or null, where your role sees less."),
    )  # fmt: skip
    phone = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("Masked, or null, where your role sees less.")
    )
    bank_account = serializers.CharField(
        read_only=True, allow_null=True,
        help_text=_("The last 4 digits, or null, where your role sees less."),
    )  # fmt: skip

    class Meta:
        model = Person
        fields = [
            "id", "name", "id_number_masked", "sex", "birth_date", "age",
            "phone", "disability_category", "disability_grade", "serious_illness",
            "labour_capacity_assessed", "labour_capacity_reason", "labour_capacity",
            "willing_to_accept_help", "in_school", "employment_status", "bank_name",
            "bank_account", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_id_number_masked(self, obj: Person) -> str:
        return mask_id_number(obj.id_number)

    def to_representation(self, instance: Person) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)  # no request: nothing personal (deny by default)
        for name in ("birth_date", "phone", "bank_account"):
            value = visible(user, name, getattr(instance, name))
            data[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return data

    @extend_schema_field(
        {
            "type": "string",
            "enum": list(LabourCapacity.values),
            "description": "The assessed labour capacity, else the default from age, school "
            "and disability.",
        }
    )
    def get_labour_capacity(self, obj: Person) -> str:
        # The age bands in force today, loaded once per response (a list has many persons).
        day = timezone.localdate()
        root = self.root
        if getattr(root, "_age_bands", None) is None:
            root._age_bands = age_bands(day)  # type: ignore[attr-defined]
        return obj.labour_capacity(day, root._age_bands)  # type: ignore[attr-defined]


class PersonListSerializer(PersonSerializer):
    """A person with their current household (from selectors.person_list's annotations)."""

    household = serializers.IntegerField(
        source="household_id", read_only=True, allow_null=True, default=None,
        help_text=_("The person's current household; null when they have none."),
    )  # fmt: skip
    relation = serializers.ChoiceField(
        choices=Relation.choices, read_only=True, allow_null=True, default=None
    )

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "household", "relation"]
        read_only_fields = fields


class PersonWriteSerializer(serializers.Serializer):
    """Person fields accepted on create/update (sex and birth date come from the ID number)."""

    name = serializers.CharField(max_length=50, required=False)
    id_number = serializers.CharField(max_length=20, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    disability_category = serializers.ChoiceField(
        choices=DisabilityCategory.choices, required=False, allow_blank=True
    )
    disability_grade = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=4
    )
    serious_illness = serializers.PrimaryKeyRelatedField(
        queryset=SeriousIllness.objects.filter(active=True), required=False, allow_null=True
    )
    labour_capacity_assessed = serializers.ChoiceField(
        choices=LabourCapacity.choices, required=False, allow_blank=True
    )
    labour_capacity_reason = serializers.CharField(max_length=255, required=False, allow_blank=True)
    willing_to_accept_help = serializers.BooleanField(required=False)
    in_school = serializers.BooleanField(required=False)
    employment_status = serializers.ChoiceField(choices=EmploymentStatus.choices, required=False)
    bank_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    bank_account = serializers.CharField(max_length=32, required=False, allow_blank=True)

    def person_data(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in attrs.items() if k in PERSON_FIELDS}


class PersonUpdateSerializer(PersonWriteSerializer):
    reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True,
        help_text=_("Why the record changes; kept in the history."),
    )  # fmt: skip
    expected_updated_at = serializers.DateTimeField(
        required=False,
        help_text=_(
            "Optional optimistic lock: the `updated_at` you read. If the record changed since, "
            "nothing is saved and the answer is 409."
        ),
    )


class PersonCreateSerializer(PersonWriteSerializer):
    """A person joins a household: either a new person (person fields, `name` and `id_number`
    required) or an existing person without an active household (`person`)."""

    household = serializers.IntegerField(help_text=_("The household the person joins."))
    relation = serializers.ChoiceField(choices=Relation.choices)
    person = serializers.IntegerField(
        required=False,
        help_text=_(
            "An existing person (re)joining a household, instead of the person fields. "
            "They must not be an active member of another household."
        ),
    )
    start_date = serializers.DateField(required=False, help_text=_("Defaults to today."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("person") is not None and self.person_data(attrs):
            raise serializers.ValidationError(
                {"person": [_("Give an existing person or the fields of a new one, not both.")]}
            )
        return attrs


class MemberWriteSerializer(PersonWriteSerializer):
    relation = serializers.ChoiceField(choices=Relation.choices)
    start_date = serializers.DateField(required=False, help_text=_("Defaults to today."))


class MembershipSerializer(serializers.ModelSerializer):
    person = PersonSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "person", "relation", "start_date", "end_date", "end_reason"]
        read_only_fields = fields


class HouseholdListSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    town = serializers.IntegerField(source="village.parent_id", read_only=True)
    town_name = serializers.CharField(source="village.parent.name", read_only=True)
    district = serializers.IntegerField(source="village.parent.parent_id", read_only=True)
    district_name = serializers.CharField(source="village.parent.parent.name", read_only=True)
    head_name = serializers.CharField(read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Household
        fields = [
            "id", "village", "village_name", "town", "town_name", "district", "district_name",
            "address", "hukou_type",
            "head_name", "member_count", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class HouseholdDetailSerializer(HouseholdListSerializer):
    members = serializers.SerializerMethodField(help_text=_("Active members."))

    class Meta(HouseholdListSerializer.Meta):
        fields = [*HouseholdListSerializer.Meta.fields, "members"]
        read_only_fields = fields

    @extend_schema_field(MembershipSerializer(many=True))
    def get_members(self, obj: Household) -> Any:
        active = [m for m in obj.memberships.all() if m.end_date is None]
        return MembershipSerializer(active, many=True, context=self.context).data


class HouseholdCreateSerializer(serializers.Serializer):
    village = serializers.IntegerField(help_text=_("A village or community in your area."))
    address = serializers.CharField(max_length=255)
    hukou_type = serializers.ChoiceField(choices=Household.Hukou.choices)
    members = MemberWriteSerializer(
        many=True, help_text=_("Exactly one member with relation `head`.")
    )


class HouseholdUpdateSerializer(serializers.Serializer):
    village = serializers.IntegerField(required=False)
    address = serializers.CharField(max_length=255, required=False)
    hukou_type = serializers.ChoiceField(choices=Household.Hukou.choices, required=False)
    reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True,
        help_text=_("Why the record changes; kept in the history."),
    )  # fmt: skip
    expected_updated_at = serializers.DateTimeField(
        required=False,
        help_text=_(
            "Optional optimistic lock: the `updated_at` you read. If the record changed since, "
            "nothing is saved and the answer is 409."
        ),
    )


class MemberRemoveSerializer(serializers.Serializer):
    membership = serializers.IntegerField(help_text=_("An active membership of this household."))
    reason = serializers.CharField(max_length=255)
    end_date = serializers.DateField(required=False, help_text=_("Defaults to today."))
