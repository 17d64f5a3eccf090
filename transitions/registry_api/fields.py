"""The fields a registry record may carry, declared once: the client grant (admin), the
`fields` of a search, the expression's attributes and the notifications all read this table.

A record is a person as a member of a household on the answer's date. `source` names the
annotation of transitions.registry_api.selectors.registry_records; personal fields are those of
core.personal_data.FIELDS (a client granted one sees it in full: the grant is the reveal, and
every call is logged with what it asked).
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core import personal_data

EQ = ("eq",)
ORDERED = ("eq", "lt", "lte", "gt", "gte")


@dataclass(frozen=True)
class RegistryField:
    name: str
    label: str | Promise
    source: str
    # Operators the expression search accepts on it (none: not searchable).
    operators: tuple[str, ...] = EQ
    kind: str = "str"  # str | date | int

    @property
    def personal(self) -> bool:
        return self.name in personal_data.FIELDS


FIELDS: tuple[RegistryField, ...] = (
    RegistryField("person_id", _("person id"), "pk", EQ, "int"),
    RegistryField("name", _("name"), "name", ("eq", "startswith")),
    RegistryField("id_number", _("resident ID number"), "id_number"),
    RegistryField("sex", _("sex"), "sex"),
    RegistryField("birth_date", _("birth date"), "birth_date", ORDERED, "date"),
    RegistryField("phone", _("phone"), "phone", ()),
    RegistryField("household_id", _("household id"), "r_household_id", EQ, "int"),
    RegistryField("relation", _("relation to the head"), "r_relation"),
    RegistryField("region_code", _("village / community code"), "r_region_code", ("eq", "in")),
    RegistryField("hukou_type", _("hukou"), "r_hukou"),
    RegistryField("dibao_status", _("dibao status"), "r_dibao_status", ("eq", "in")),
)
BY_NAME: dict[str, RegistryField] = {f.name: f for f in FIELDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)

# ID types of an "idtype-value" search → the field they match. Looking a record up by a value
# needs that field in the grant: a lookup confirms a guessed number as well as a reveal does.
ID_TYPES: dict[str, str] = {
    "id_number": "id_number",
    "household_id": "household_id",
    "person_id": "person_id",
}
