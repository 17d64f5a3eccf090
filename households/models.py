import datetime as dt
import uuid

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import Region

from .ages import AgeBands, age_bands
from .idnumber import parse_id_number, validate_id_number


class SeriousIllness(models.Model):
    """The configurable list of serious illnesses the rules recognise (domain.md §2)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("serious illness")
        verbose_name_plural = _("serious illnesses")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class LabourCapacity(models.TextChoices):
    FULL = "full", _("Full")
    PARTIAL = "partial", _("Partial")
    NONE = "none", _("None")


# "Able to work" (domain.md §5.8, §8): full or partial capacity, in working age.
ABLE_TO_WORK = frozenset({LabourCapacity.FULL, LabourCapacity.PARTIAL})


class DisabilityCategory(models.TextChoices):
    VISUAL = "visual", _("Visual")
    HEARING = "hearing", _("Hearing")
    SPEECH = "speech", _("Speech")
    PHYSICAL = "physical", _("Physical")
    INTELLECTUAL = "intellectual", _("Intellectual")
    MENTAL = "mental", _("Mental")
    MULTIPLE = "multiple", _("Multiple")


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    FLEXIBLE = "flexible", _("Flexible / casual work")
    FARMING = "farming", _("Farming")
    UNEMPLOYED = "unemployed", _("Unemployed")
    RETIRED = "retired", _("Retired")
    NOT_APPLICABLE = "n/a", _("Not applicable (child, student)")


class Person(models.Model):
    """A resident. Sex and birth date are derived from the ID number, never typed."""

    name = models.CharField(_("name"), max_length=50)
    id_number = models.CharField(
        _("resident ID number"), max_length=18, unique=True, validators=[validate_id_number]
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField(_("birth date"), editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    disability_category = models.CharField(
        _("disability category"), max_length=16, choices=DisabilityCategory.choices, blank=True
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"),
        null=True,
        blank=True,
        choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4")],
    )
    serious_illness = models.ForeignKey(
        SeriousIllness,
        verbose_name=_("serious illness"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    labour_capacity_assessed = models.CharField(
        _("labour capacity (assessed)"),
        max_length=8,
        choices=LabourCapacity.choices,
        blank=True,
        help_text=_("Leave empty to use the default derived from age, school and disability."),
    )
    labour_capacity_reason = models.CharField(
        _("reason for the assessed labour capacity"), max_length=255, blank=True
    )
    willing_to_accept_help = models.BooleanField(
        _("willing to accept employment or industry help"), default=True
    )
    in_school = models.BooleanField(_("full-time student"), default=False)
    employment_status = models.CharField(
        _("employment"),
        max_length=16,
        choices=EmploymentStatus.choices,
        default=EmploymentStatus.NOT_APPLICABLE,
    )
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=32, blank=True)
    # Denormalised: the village of the person's current (or last) household, kept by the services.
    # It is the person's scope; a person never in a household is visible only at city level.
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["id"]
        permissions = [
            ("reveal_id_number", _("Can reveal a full ID number")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True, disability_category="")
                | (
                    Q(disability_grade__gte=1, disability_grade__lte=4) & ~Q(disability_category="")
                ),
                name="person_disability_category_and_grade_together",
            ),
            models.CheckConstraint(
                condition=Q(id_number__regex=r"^\d{17}[\dX]$"), name="person_id_number_shape"
            ),
        ]
        # No trigram index for "name contains": the embedded PostgreSQL (pgserver) ships no pg_trgm.
        # The search is by prefix and exact match instead (households.selectors.household_list),
        # which these B-trees answer: pattern operator classes, since the database's collation
        # is not C and a plain B-tree cannot serve LIKE 'x%'.
        indexes = [
            # A name prefix in the whole city, and equality (the pattern class serves = too).
            models.Index(fields=["name"], name="person_name", opclasses=["varchar_pattern_ops"]),
            # A name prefix among a town's or district's villages: one range per village.
            models.Index(
                fields=["region", "name"],
                name="person_region_name",
                opclasses=["int8_ops", "varchar_pattern_ops"],
                include=["id"],  # the search needs only the ids: an index-only scan
            ),
            # The last characters of an ID number: a prefix of the reversed number.
            models.Index(
                OpClass(Reverse("id_number"), name="text_pattern_ops"),
                name="person_id_number_reversed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        facts = parse_id_number(self.id_number)
        self.id_number, self.sex, self.birth_date = facts.number, facts.sex, facts.birth_date
        super().save(*args, **kwargs)

    def age_on(self, day: dt.date | None = None) -> int:
        day = day or timezone.localdate()
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    @property
    def age(self) -> int:
        return self.age_on()

    @property
    def severely_disabled(self) -> bool:
        if self.disability_grade is None:
            return False
        if self.disability_grade <= 2:
            return True
        return self.disability_grade == 3 and self.disability_category in (
            DisabilityCategory.INTELLECTUAL,
            DisabilityCategory.MENTAL,
        )

    def default_labour_capacity(
        self, day: dt.date | None = None, bands: AgeBands | None = None
    ) -> str:
        """domain.md §2: none below working age (16) or from the elderly age (60), students,
        severe disability; else full. The ages are policy data in force on `day`; a caller
        looping over persons passes `bands` once."""
        day = day or timezone.localdate()
        bands = bands or age_bands(day)
        if not bands.working_age(self.age_on(day)) or self.in_school or self.severely_disabled:
            return LabourCapacity.NONE
        return LabourCapacity.FULL

    def labour_capacity(self, day: dt.date | None = None, bands: AgeBands | None = None) -> str:
        if self.labour_capacity_assessed:
            return self.labour_capacity_assessed
        return self.default_labour_capacity(day, bands)


class Household(models.Model):
    class Hukou(models.TextChoices):
        URBAN = "urban", _("Urban")
        RURAL = "rural", _("Rural")

    village = models.ForeignKey(
        Region,
        verbose_name=_("village / community"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": Region.Level.VILLAGE},
    )
    address = models.CharField(_("address"), max_length=255)
    hukou_type = models.CharField(_("hukou"), max_length=8, choices=Hukou.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The active members' names, "|陈小明|陈大文|", kept by the database (triggers of migration
    # 0005, on every membership and name change; whatever Django writes here is ignored), so
    # that a common name prefix is matched in the household row instead of in 80,000 persons.
    # Read-only here; for searching only (never shown: it is unmasked).
    member_names = models.TextField(editable=False, default="", db_default="")

    history = HistoricalRecords(excluded_fields=["updated_at", "member_names"])

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["-id"]
        indexes = [
            # A town's or district's households newest first, and their count, from the index
            # alone (the list pages ids first: households.selectors.household_list).
            models.Index(fields=["village", "id"], name="household_village_id"),
        ]
        permissions = [
            ("import_households", _("Can import households from spreadsheets")),
            ("export_households", _("Can export households")),
        ]

    def __str__(self) -> str:
        return f"{self.village.name} {self.address}"


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    CHILD_IN_LAW = "child_in_law", _("Son/daughter-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    PARENT = "parent", _("Parent")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other relative")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> "MembershipQuerySet":
        """The open memberships (no end date): a household's current members."""
        return self.filter(end_date__isnull=True)


class Membership(models.Model):
    """A person's membership of a household over time. At most one active (open) per person,
    and at most one active head per household — both enforced by the database."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    relation = models.CharField(_("relation to head"), max_length=16, choices=Relation.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["household_id", "start_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(end_date__isnull=True),
                name="one_active_household_per_person",
                violation_error_message=_(
                    "This person is already an active member of a household."
                ),
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(end_date__isnull=True, relation="head"),
                name="one_active_head_per_household",
                violation_error_message=_("This household already has a head."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["household"], condition=Q(end_date__isnull=True), name="membership_active"
            ),
            # Persons found by a search → their households, from the index alone.
            models.Index(
                fields=["person"],
                include=["household"],
                condition=Q(end_date__isnull=True),
                name="membership_active_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.household_id}"

    @property
    def is_active(self) -> bool:
        return self.end_date is None


def _import_upload_to(instance: "HouseholdImport", filename: str) -> str:
    """A random name: the user's file name (often a village's name) stays out of the path."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt", ".xls"):
        suffix = ""
    return f"private/household-imports/{uuid.uuid4().hex}{suffix}"


class HouseholdImport(models.Model):
    """An uploaded household spreadsheet waiting for (or read by) its background import job.

    The file holds personal data: it lives under MEDIA_ROOT with a random name, is never linked
    to, and is deleted once the job has read it and finished."""

    job = models.OneToOneField(
        "core.Job", on_delete=models.CASCADE, related_name="household_import"
    )
    file = models.FileField(upload_to=_import_upload_to, max_length=200, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("check only"), default=False)

    class Meta:
        verbose_name = _("household import")
        verbose_name_plural = _("household imports")

    def __str__(self) -> str:
        return self.filename


class RegionTally(models.Model):
    """Changes in how many households and persons each region holds, appended by the database
    (statement-level triggers of migration 0006 on every insert, delete and move: one row per
    region and statement, never an update, so concurrent writers never wait for each other),
    so that a list without a search shows its exact total by summing a few rows instead of
    counting 824,000 persons (households.tally). Compacted to one row per region every night
    (`tally_compact`). Never written by Django otherwise."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    households = models.IntegerField(default=0)
    persons = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("region tally")

    def __str__(self) -> str:
        return f"{self.region_id}: {self.households:+} / {self.persons:+}"
