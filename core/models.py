import datetime as dt

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    BigIntegerRangeField,
    DateRangeField,
    RangeBoundary,
    RangeOperators,
)
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.utils.translation import gettext_lazy as _

from .roles import ROLE_LEVELS, STAFF_ROLES, Role


class Region(models.Model):
    """A node of Jiangmen's administrative tree: city → county → township → village.

    `path` is the materialised path of codes ("440700.440703.440703002."), so a region's subtree is
    one indexed prefix match; it is maintained on save and never typed.
    """

    class Level(models.TextChoices):
        CITY = "city", _("City")
        COUNTY = "county", _("District / county-level city")
        TOWNSHIP = "township", _("Town / street")
        VILLAGE = "village", _("Village / community")

    class Kind(models.TextChoices):
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        COUNTY_CITY = "county_city", _("County-level city")
        STREET = "street", _("Street")
        TOWN = "town", _("Town")
        VILLAGE = "village", _("Village (rural)")
        COMMUNITY = "community", _("Community (urban)")

    KIND_LEVEL = {
        Kind.CITY: Level.CITY,
        Kind.DISTRICT: Level.COUNTY,
        Kind.COUNTY_CITY: Level.COUNTY,
        Kind.STREET: Level.TOWNSHIP,
        Kind.TOWN: Level.TOWNSHIP,
        Kind.VILLAGE: Level.VILLAGE,
        Kind.COMMUNITY: Level.VILLAGE,
    }
    CODE_LENGTH = {Level.CITY: 6, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}
    PARENT_LEVEL = {
        Level.COUNTY: Level.CITY,
        Level.TOWNSHIP: Level.COUNTY,
        Level.VILLAGE: Level.TOWNSHIP,
    }

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(max_length=64, unique=True, editable=False)
    area_class = models.PositiveSmallIntegerField(_("Guangdong area class"), null=True, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [
            models.Index(
                fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["level", "code"], name="region_level_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_urban(self) -> bool:
        return self.kind == self.Kind.COMMUNITY

    def clean(self) -> None:
        level = self.KIND_LEVEL.get(self.Kind(self.kind)) if self.kind in self.Kind.values else None
        if level is None:
            return
        if not self.code.isdigit() or len(self.code) != self.CODE_LENGTH[level]:
            raise ValidationError(
                {
                    "code": _("A %(level)s code has %(n)d digits.")
                    % {"level": self.Level(level).label, "n": self.CODE_LENGTH[level]}
                }
            )
        expected_parent = self.PARENT_LEVEL.get(level)
        if expected_parent is None:
            if self.parent_id:
                raise ValidationError({"parent": _("The city has no parent region.")})
            return
        if self.parent is None or self.parent.level != expected_parent:
            raise ValidationError(
                {
                    "parent": _("The parent must be a %(level)s.")
                    % {"level": self.Level(expected_parent).label}
                }
            )
        if level in (self.Level.TOWNSHIP, self.Level.VILLAGE) and not self.code.startswith(
            self.parent.code
        ):
            raise ValidationError({"code": _("The code must start with the parent's code.")})

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.level = self.KIND_LEVEL[self.kind]
        self.path = (self.parent.path if self.parent else "") + self.code + "."
        super().save(*args, **kwargs)

    def ancestors_and_self(self) -> list["Region"]:
        codes = self.path.rstrip(".").split(".")
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def county(self) -> "Region | None":
        return next((r for r in self.ancestors_and_self() if r.level == self.Level.COUNTY), None)


class XianjieUserManager(UserManager["User"]):
    pass


class User(AbstractUser):
    """A staff member: one role, one region. Scope = the region's subtree (core.scope)."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    objects = XianjieUserManager()  # type: ignore[misc]  # django-stubs declares it on AbstractUser

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="") | models.Q(region__isnull=False),
                name="user_with_role_has_region",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.role and self.region is None:
            raise ValidationError({"region": _("A user with a role needs a region.")})
        if self.role and self.region is not None:
            allowed = ROLE_LEVELS.get(self.role, ())
            if self.region.level not in allowed:
                raise ValidationError(
                    {
                        "region": _("A %(role)s works at the level of: %(levels)s.")
                        % {
                            "role": Role(self.role).label,
                            "levels": "、".join(str(Region.Level(lv).label) for lv in allowed),
                        }
                    }
                )

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Admin access follows the role; it is never granted by hand.
        if not self.is_superuser:
            self.is_staff = self.role in STAFF_ROLES
        super().save(*args, **kwargs)

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role else ""


class AccessLog(models.Model):
    """Reads of sensitive data (e.g. revealing a full ID number) — who saw what, when."""

    class Action(models.TextChoices):
        REVEAL_ID_NUMBER = "reveal_id_number", _("Revealed a full ID number")
        EXPORT = "export", _("Exported data")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="access_logs")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    detail = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="accesslog_object")]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.object_type}#{self.object_id}"


class EffectiveDatedQuerySet(models.QuerySet):
    def in_force(self, on: "dt.date") -> "EffectiveDatedQuerySet":
        return self.filter(valid_from__lte=on).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=on)
        )


# A range type over text, created by core's migration 0007: `xianjie_textrange(key, key, '[]')`
# turns text equality into range overlap, which GiST indexes without the btree_gist extension
# (the embedded PostgreSQL of `make run`, the pgserver wheel, does not ship it).
TEXT_RANGE = "xianjie_textrange"
# SQLSTATE of an exclusion-constraint violation.
EXCLUSION_VIOLATION = "23P01"


class DateRange(models.Func):
    """daterange(valid_from, valid_to, '[]'): both ends included; a NULL end is open-ended."""

    function = "daterange"
    output_field = DateRangeField()


class SameBigInt(models.Func):
    """int8range(x, x, '[]'): overlaps another only when the values are equal."""

    function = "int8range"
    output_field = BigIntegerRangeField()


class SameText(models.Func):
    """xianjie_textrange(x, x, '[]'): overlaps another only when the texts are equal."""

    function = TEXT_RANGE
    output_field = models.TextField()


def no_overlap(
    name: str, *, integer: tuple[str, ...] = (), text: tuple[str, ...] = ()
) -> ExclusionConstraint:
    """The database guarantee behind `EffectiveDated.overlap_fields`: two rows with the same
    values in those fields never share a day. `integer` names integer/foreign-key fields, `text`
    char fields."""
    both = RangeBoundary(inclusive_lower=True, inclusive_upper=True)
    expressions: list[tuple[models.Func, str]] = [
        (SameBigInt(models.F(f), models.F(f), both), RangeOperators.OVERLAPS) for f in integer
    ]
    expressions += [
        (SameText(models.F(f), models.F(f), both), RangeOperators.OVERLAPS) for f in text
    ]
    expressions.append(
        (DateRange(models.F("valid_from"), models.F("valid_to"), both), RangeOperators.OVERLAPS)
    )
    return ExclusionConstraint(
        name=name,
        expressions=expressions,
        violation_error_code="overlap",
        violation_error_message=_("This period overlaps another period of the same value."),
    )


def is_overlap_violation(error: IntegrityError) -> bool:
    """Whether the database refused a write because two periods overlap (see `no_overlap`)."""
    return getattr(error.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION


class EffectiveDated(models.Model):
    """Base of every policy number: valid from/to, source document, who changed it last.

    Logic asks for "the value in force on date D" (`Model.objects.in_force(D)`), never a literal.
    Periods of the same value (`overlap_fields`) never overlap: each concrete subclass declares
    `no_overlap(...)` in its constraints, and the database refuses an overlap even when two
    writes race; `clean()` only explains the clash in a form.
    """

    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source_document = models.CharField(_("source document"), max_length=255, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    updated_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = EffectiveDatedQuerySet.as_manager()

    class Meta:
        abstract = True

    # Fields that identify "the same policy value" (e.g. ("county",)): periods must not overlap.
    overlap_fields: tuple[str, ...] = ()
    # One value for everyone (the poverty line, the classification rule): periods of all rows
    # never overlap (declared, so a model that forgot its fields is not taken for one).
    overlap_global: bool = False

    def overlap_clash(self) -> "EffectiveDated | None":
        """The first other period of the same value sharing a day with this one (for the
        message; the exclusion constraint is the guarantee)."""
        if not (self.valid_from and (self.overlap_fields or self.overlap_global)):
            return None
        same = (
            type(self)
            .objects.filter(**{f: getattr(self, f) for f in self.overlap_fields})
            .exclude(pk=self.pk)
        )
        overlapping = same.filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=self.valid_from)
        )
        if self.valid_to is not None:
            overlapping = overlapping.filter(valid_from__lte=self.valid_to)
        return overlapping.order_by("valid_from").first()  # type: ignore[no-any-return]

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date is before the start date.")})
        clash = self.overlap_clash()
        if clash is not None:
            raise ValidationError(
                _(
                    "This period overlaps the one valid from %(start)s (%(until)s). End that "
                    "one first."
                )
                % {
                    "start": clash.valid_from.isoformat(),
                    "until": clash.valid_to.isoformat() if clash.valid_to else _("open-ended"),
                },
                code="overlap",
            )

    def get_constraints(self):  # type: ignore[no-untyped-def]
        # full_clean() would report the overlap twice: clean() already explains it with dates.
        return [
            (cls, [c for c in constraints if not isinstance(c, ExclusionConstraint)])
            for cls, constraints in super().get_constraints()
        ]


class TransitionBase(models.Model):
    """The history row of every process (core.workflow): which action, from/to status, who, when
    and why, written in the same transaction as the change. Concrete subclasses add the foreign
    key to their object; separation of duties reads `action` and `by` over the whole history."""

    action = models.CharField(_("action"), max_length=40, blank=True, db_index=True)
    from_status = models.CharField(_("from"), max_length=16)
    to_status = models.CharField(_("to"), max_length=16)
    by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]


class CalendarOverride(models.Model):
    """Working-day overrides for years the chinesecalendar package does not know yet."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'✓' if self.is_working_day else '✗'}"


class CalendarYear(models.Model):
    """A year whose holidays and adjusted working days a data administrator has entered (as
    CalendarOverride rows). `complete` says the State Council's arrangement is all in: only then
    are the year's deadlines final (core.calendar.year_has_data)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    complete = models.BooleanField(_("all holidays and adjusted working days entered"))
    source = models.CharField(_("source document"), max_length=200, blank=True)
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class Job(models.Model):
    """A long background job whose progress the UI polls (payroll builds, imports, checks)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=50)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The heartbeat: every status or progress write sets it (core.jobs.jobs_fail_stale reads it).
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.progress_done / self.progress_total))


# Registered here so the app loads it (it lives with its service and pages in core.notifications).
from core.notifications.models import Notification  # noqa: E402, F401
