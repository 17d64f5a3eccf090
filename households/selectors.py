"""Every read of households and persons that pages, API and exports share: scoped by
core.scope, with the joins and prefetches their templates need (no N+1)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Model, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Job, Region, User
from core.pagination import page_rows
from core.personal_data import FIELDS as PERSONAL_FIELDS
from core.personal_data import may_look_up_id_number, visible
from core.scope import is_city_level, scope_queryset, visible_regions

from .ages import age_bands
from .idnumber import normalise
from .models import ABLE_TO_WORK, Household, Membership, Person, Relation


def active_head_name(household: str = "pk") -> Subquery:
    """The active head's name, to annotate rows whose `household` field holds the household id."""
    return Subquery(
        Membership.objects.active()
        .filter(household=OuterRef(household), relation=Relation.HEAD)
        .values("person__name")[:1]
    )


def household_list(
    *,
    user: User,
    q: str = "",
    name: str = "",
    id_number: str = "",
    village: int | str | None = None,
    town: int | str | None = None,
    district: int | str | None = None,
    region: int | str | None = None,
) -> QuerySet[Household]:
    """The households the user may see, newest first, with the head's name and the number of
    active members annotated.

    `q` (the search box; see SEARCH_HELP) matches only what a B-tree index answers — the embedded
    PostgreSQL has no pg_trgm, and a "contains" search scans all 824k persons:

    - a household number (digits, up to 9);
    - an ID number of an active member (digits, the last may be X; needs the reveal permission):
      the whole number, its last 6 or more characters (an index on reverse(id_number)), or its
      first 10 or more;
    - otherwise the start of an active member's name (a full name is its own prefix).

    The persons are narrowed to the user's area before the name or ID match, so a town user's
    search reads only its own villages' persons.

    A page should paginate `qs.values_list("pk", flat=True)` and then read only that page's rows
    (`household_page`): an OFFSET computes the annotations of every row it skips."""
    qs = scoped_by_ids(Household.objects.all(), user, "village_id")
    # Places as lists of village ids (see scoped_by_ids): a scan of those villages' households,
    # not a join the planner estimates badly; and the search's persons are narrowed to them too
    # (a person's region is the village of their household, kept by the services).
    place = place_villages(village=village, town=town, district=district, region=region)
    if place is not None:
        qs = qs.filter(village_id__in=place)
    q = " ".join((q or "").split())
    dense = False
    if q:
        qs, dense = _search(qs, user, q, place)
    if name:
        qs, dense_name = _name_search(qs, user, name.strip(), place)
        dense = dense or dense_name
    if id_number:
        _require_id_lookup(user)
        match = Q(id_number=normalise(id_number))
        qs = qs.filter(pk__in=_households_of(user, match, place))
    return (
        qs.select_related("village", "village__parent", "village__parent__parent")
        .annotate(head_name=active_head_name(), member_count=_active_member_count())
        .order_by(_newest_first(user, place) if dense else "-id")
    )


# A common name in a small area (a town: 1 % of the city's households) is found faster by reading
# the area's households through the village index and sorting the few hundred matches than by
# walking the primary key backwards through the whole city's households until 50 of them are in
# the area and match (白沙街道, 陈: 4 ms against 34 ms, 41,000 rows read). The planner prefers the
# backward walk because it underrates the cost of the "contains" test on every row it reads;
# ordering by `id + 0` (the same order) takes the primary key's order off the table for it.
SMALL_AREA_SHARE = 0.05


def _newest_first(user: User, place: list[int] | None) -> Any:
    from .tally import household_share  # tally reads this module's helpers

    if household_share(user, place) <= SMALL_AREA_SHARE:
        return (F("id") + 0).desc()
    return "-id"


# What the search box matches, said under it (households/list.html) and in the API's filter.
SEARCH_HELP = gettext_lazy(
    "Finds a household by its number, by the start of a member's name (陈 or 陈小明), or by a "
    "member's ID number: the whole number, its last 6 or more characters, or its first 10 or "
    "more. Names are not matched in the middle."
)
ID_SUFFIX_MIN = 6
ID_PREFIX_MIN = 10
HOUSEHOLD_NUMBER_MAX_DIGITS = 9
# An ID search is selective (a 6-character suffix matches a person or two in 824k): its
# households are read first and passed as a list, so a household number can be OR-ed in
# without turning the query into a scan. Beyond this many, a subquery instead.
_ID_MATCHES_AS_LIST = 2_000


def place_villages(*, village: Any, town: Any, district: Any, region: Any) -> list[int] | None:
    """The ids of the villages every given place filter allows (None: no place filter)."""
    if village and not (town or district or region):
        return [int(village)]  # households and persons are only ever in villages: no query
    villages = Region.objects.filter(level=Region.Level.VILLAGE).values_list("id", flat=True)
    if village:
        villages = villages.filter(pk=village)
    if town:
        villages = villages.filter(parent_id=town)
    if district:
        villages = villages.filter(parent__parent_id=district)
    if region:
        path = region_path(region)
        villages = villages.filter(path__startswith=path) if path else villages.none()
    return list(villages) if village or town or district or region else None


def region_path(region: int | str) -> str | None:
    """The tree path of region `region` (its subtree: paths starting with it), None if unknown."""
    return Region.objects.filter(pk=region).values_list("path", flat=True).first()


def _search(
    qs: QuerySet[Household], user: User, q: str, place: list[int] | None = None
) -> tuple[QuerySet[Household], bool]:
    """The households matching the search box, and whether it was a dense name search."""
    norm = normalise(q)
    number = int(norm) if norm.isdigit() and len(norm) <= HOUSEHOLD_NUMBER_MAX_DIGITS else None
    if looks_like_id_number(norm):
        _require_id_lookup(user)
        match = id_number_match(norm)
        if match is None:  # not reached: looks_like_id_number means 6 or more characters
            return qs.none(), False
        households = _households_of(user, match, place)
        ids = list(households.values_list("household_id", flat=True)[: _ID_MATCHES_AS_LIST + 1])
        if len(ids) > _ID_MATCHES_AS_LIST:
            return qs.filter(pk__in=households), False
        return qs.filter(pk__in=[*ids, *([number] if number else [])]), False
    if number is not None:
        return qs.filter(pk=number), False
    return _name_search(qs, user, q, place)


# A name prefix that more persons in scope than this start with (a common surname at the city or
# a district) is matched in the households' own `member_names` (dense: the first matches come
# within a few thousand rows); a rarer one through the persons' name index (selective).
NAME_MATCHES_DENSE = 300


def _name_search(
    qs: QuerySet[Household], user: User, name: str, place: list[int] | None
) -> tuple[QuerySet[Household], bool]:
    """Households with an active member whose name starts with `name`. Which way is cheaper
    depends on how many persons match, which one capped index range scan tells: a rare name
    probes the persons' name index, a common one scans household rows in the list's order."""
    persons = _persons(user, Q(name__startswith=name))
    if place is not None:
        persons = persons.filter(region_id__in=place)
    if persons[: NAME_MATCHES_DENSE + 1].count() <= NAME_MATCHES_DENSE:
        return qs.filter(pk__in=_households_of(user, Q(name__startswith=name), place)), False
    return qs.filter(member_names__contains=member_names_pattern(name)), True


def member_names_pattern(name: str) -> str:
    """What `member_names__contains` looks for: a name starting with `name` ("|陈" in
    "|李霞|陈可欣|"; contains escapes % and _)."""
    return "|" + name


def id_number_match(norm: str) -> Q | None:
    """The persons whose ID number is `norm` (18 characters), ends with it (6 or more) or starts
    with it (10 or more). Each branch is one index range scan: the unique index for the whole
    number, the pattern index for the prefix, the reverse(id_number) pattern index for the
    suffix (households migration 0004)."""
    if len(norm) >= 18:
        return Q(id_number=norm)
    match = Q(id_number_reversed__startswith=norm[::-1]) if len(norm) >= ID_SUFFIX_MIN else None
    if len(norm) >= ID_PREFIX_MIN:
        match = Q(id_number__startswith=norm) | match if match else Q(id_number__startswith=norm)
    return match


def household_page(qs: QuerySet[Household], ids: Any) -> list[Household]:
    """The rows of one page, given the page's ids (paginated on `qs.values_list("pk")`), in the
    list's order, annotated: the head-name and member-count subqueries run for these rows only.
    `ids` may be the paginator's unevaluated slice: it is then a subquery (one query, not two).
    The list's filters are not applied to the rows again (core.pagination.page_rows)."""
    return page_rows(qs, ids)


def looks_like_id_number(norm: str) -> bool:
    return len(norm) >= 6 and norm[:-1].isdigit() and (norm[-1].isdigit() or norm[-1] == "X")


def _require_id_lookup(user: User) -> None:
    """A search by ID number (whole or a prefix/suffix) confirms a guessed number as surely as a
    reveal: it needs the reveal permission (core.personal_data)."""
    if not may_look_up_id_number(user):
        raise PermissionDenied(
            _("Searching by ID number needs the permission to see full ID numbers.")
        )


def _persons(user: User, person_match: Q) -> QuerySet[Person]:
    persons = Person.objects.alias(id_number_reversed=Reverse("id_number")).filter(person_match)
    return scoped_by_ids(persons, user, "region_id")


M = TypeVar("M", bound=Model)


def scoped_by_ids(qs: QuerySet[M], user: User, region_column: str) -> QuerySet[M]:
    """core.scope.scope_queryset with the user's regions read first and passed as a list (the
    same rows: the regions are core.scope's visible_regions; city level and superusers are not
    narrowed, NULL regions stay city-only).

    With `region_id IN (SELECT … WHERE path LIKE …)` the planner cannot tell how many rows a
    district's 75 regions hold: for a 蓬江区 search for 陈 it took the name index over the
    whole city and threw away six persons in seven (77,637 heap rows, 470 ms), and for a town's
    page 53 it scanned all 300,000 households in parallel; with the list it takes
    person_region_name (one range per village, 5,031 rows) and household_village_id."""
    if is_city_level(user):
        return scope_queryset(qs, user, region_field=region_column.removesuffix("_id"))
    return qs.filter(**{f"{region_column}__in": visible_region_ids(user)})


def visible_region_ids(user: User) -> list[int]:
    """core.scope.visible_regions as a list of ids, read once per user object (a request's):
    the household and person parts of one search share it. A user's region changes only by an
    administrator, between requests."""
    cached = getattr(user, "_visible_region_ids", None)
    if cached is None or cached[0] != user.region_id:
        ids = list(visible_regions(user).values_list("id", flat=True))
        cached = (user.region_id, ids)
        user._visible_region_ids = cached  # type: ignore[attr-defined]
    return cached[1]


def _households_of(
    user: User, person_match: Q, place: list[int] | None = None
) -> QuerySet[Membership, Any]:
    """Ids of households with an active member matching `person_match`, among the persons the
    user may see (their scoped region narrows the search before the name or ID match), and in
    the `place` villages if given."""
    persons = _persons(user, person_match)
    if place is not None:
        persons = persons.filter(region_id__in=place)
    return (
        Membership.objects.active().filter(person__in=persons.values("pk")).values("household_id")
    )


def _active_member_count() -> Coalesce:
    # A correlated subquery (not a GROUP BY): the paginator's COUNT(*) then skips it entirely.
    counts = (
        Membership.objects.active()
        .filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts), 0)


def household_get(*, user: User, pk: int | str) -> Household:
    """The household if the user may see it; Household.DoesNotExist otherwise (→ 404, no leak)."""
    return (
        scope_queryset(Household.objects.all(), user, region_field="village")
        .select_related("village", "village__parent", "village__parent__parent")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related(
                    "person", "person__serious_illness"
                ).order_by("end_date", "start_date", "id"),
            )
        )
        .get(pk=pk)
    )


def person_list(
    *, user: User, name: str = "", id_number: str = "", region: int | str | None = None
) -> QuerySet[Person]:
    """Persons the user may see, by id. `name`: the start of the name (a full name is its own
    prefix; index-answered, see household_list); `id_number`: the whole number. Paginate ids
    first, like household_list: the household and relation are subqueries per row."""
    qs = scoped_by_ids(Person.objects.all(), user, "region_id")
    if name:
        qs = qs.filter(name__startswith=" ".join(name.split()))
    if id_number:
        _require_id_lookup(user)
        qs = qs.filter(id_number=normalise(id_number))
    if region:
        path = region_path(region)
        qs = qs.filter(region__path__startswith=path) if path else qs.none()
    active = Membership.objects.active().filter(person=OuterRef("pk"))
    return (
        qs.select_related("region", "serious_illness")
        .annotate(
            household_id=Subquery(active.values("household_id")[:1]),
            relation=Subquery(active.values("relation")[:1]),
        )
        .order_by("id")
    )


def person_page(qs: QuerySet[Person], ids: Any) -> list[Person]:
    """The rows of one page of person_list, given the page's ids (see household_page)."""
    return page_rows(qs, ids)


def person_get(*, user: User, pk: int | str) -> Person:
    return person_list(user=user).get(pk=pk)


@dataclass(frozen=True)
class HouseholdFigures:
    """Derived, never typed (domain.md §2, §7)."""

    size: int
    minors: int  # under the adult age (18)
    working_age: int  # 16–59 (policy parameters)
    elderly: int  # 60 and over
    with_labour_capacity: int  # full or partial, in working age
    severely_disabled: int
    seriously_ill: int

    @property
    def has_labour_capacity(self) -> bool:
        return self.with_labour_capacity > 0


def household_figures(members: list[Person], *, on: dt.date | None = None) -> HouseholdFigures:
    day = on or timezone.localdate()
    bands = age_bands(day)
    ages = [(p, p.age_on(day)) for p in members]
    return HouseholdFigures(
        size=len(members),
        minors=sum(1 for _, a in ages if bands.minor(a)),
        working_age=sum(1 for _, a in ages if bands.working_age(a)),
        elderly=sum(1 for _, a in ages if bands.elderly(a)),
        with_labour_capacity=sum(
            1
            for p, a in ages
            if bands.working_age(a) and p.labour_capacity(day, bands) in ABLE_TO_WORK
        ),
        severely_disabled=sum(1 for p in members if p.severely_disabled),
        seriously_ill=sum(1 for p in members if p.serious_illness_id),
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    user: str
    kind: str  # household | person | membership
    subject: str
    action: str  # created | changed | deleted
    reason: str
    changes: list[tuple[str, Any, Any]]


def household_timeline(household: Household, *, user: User) -> list[TimelineEntry]:
    """History of the household, its memberships and its members, newest first, with
    before/after values of each changed field (personal fields as the table lets `user` see
    them).

    A member's own changes are shown only while they were a member of this household (from the
    start of their membership to its end: the end date, or when the end was recorded if that
    was earlier) and only where the person then belonged to the viewer's area: what a former
    member's new district does with their record is not this household's history."""
    memberships = list(household.memberships.select_related("person"))
    names = {m.person_id: m.person.name for m in memberships}
    windows = _membership_windows(memberships)
    person_history = scope_queryset(
        Person.history.filter(id__in=list(windows)), user, region_field="region"
    )
    hist_sets = [
        ("household", Household.history.filter(id=household.pk)),
        ("membership", Membership.history.filter(id__in=[m.pk for m in memberships])),
        ("person", person_history),
    ]
    entries: list[TimelineEntry] = []
    for kind, qs in hist_sets:
        records = list(qs.select_related("history_user").order_by("id", "history_id"))
        previous: dict[int, Any] = {}
        for rec in records:
            prev = previous.get(rec.id)
            previous[rec.id] = rec
            if kind == "person" and not _within(rec.history_date, windows[rec.id]):
                continue
            changes: list[tuple[str, Any, Any]] = []
            if prev is not None:
                delta = rec.diff_against(prev)
                for c in delta.changes:
                    field = rec.instance_type._meta.get_field(c.field)
                    changes.append(
                        (
                            str(field.verbose_name),
                            _display(field, c.old, user),
                            _display(field, c.new, user),
                        )
                    )
            if prev is not None and not changes and rec.history_type == "~":
                continue
            entries.append(
                TimelineEntry(
                    at=rec.history_date,
                    user=(rec.history_user.get_full_name() or rec.history_user.username)
                    if rec.history_user
                    else "",
                    kind=kind,
                    subject=names.get(rec.person_id, "")
                    if kind == "membership"
                    else (rec.name if kind == "person" else rec.address),
                    action={"+": "created", "~": "changed", "-": "deleted"}[rec.history_type],
                    reason=rec.history_change_reason or "",
                    changes=changes,
                )
            )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


Window = tuple[dt.datetime, dt.datetime | None]


def _membership_windows(memberships: list[Membership]) -> dict[int, list[Window]]:
    """person id → the periods (aware datetimes) they were a member of the household."""
    ended_at = dict(
        Membership.history.filter(id__in=[m.pk for m in memberships], end_date__isnull=False)
        .order_by("id", "history_date")
        .values_list("id", "history_date")
        .distinct("id")
    )
    windows: dict[int, list[Window]] = {}
    for m in memberships:
        start = _day_start(m.start_date)
        end: dt.datetime | None = None
        if m.end_date is not None:
            end = _day_start(m.end_date + dt.timedelta(days=1))
            if m.pk in ended_at:
                end = min(end, ended_at[m.pk])
        windows.setdefault(m.person_id, []).append((start, end))
    return windows


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _within(at: dt.datetime, windows: list[Window]) -> bool:
    return any(start <= at and (end is None or at < end) for start, end in windows)


def _display(field: Any, value: Any, user: User) -> Any:
    if field.name in PERSONAL_FIELDS:
        return visible(user, field.name, value)
    if field.choices and value not in (None, ""):
        return dict(field.flatchoices).get(value, value)
    if field.is_relation and value:
        target = field.related_model.objects.filter(pk=value).first()
        return str(target) if target else value
    return value


def household_import_get(*, user: User, pk: int) -> Job:
    """A household-import job in the user's scope (the job's region is the importer's), with
    its upload record. Raises Job.DoesNotExist otherwise."""
    from .importing import JOB_KIND

    qs = Job.objects.filter(kind=JOB_KIND).select_related("household_import", "created_by")
    return scope_queryset(qs, user, region_field="region").get(pk=pk)
