"""The inbox (待办): for a user, the items waiting for them, ordered by deadline (the most overdue
first; a pending application is due for acceptance by its `acceptance_due`, assistance.deadlines).

Each kind of item is a scoped queryset (core.scope) guarded by the permission needed to act on
it; which kinds a user gets depends on their role. `inbox_counts` is cheap (one COUNT per kind)
for the home page; `inbox_items` materialises at most `PER_KIND_LIMIT` rows per kind.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assistance.dibao import reviews
from assistance.dibao.workflow import DIBAO
from assistance.models import (
    CaseReview,
    DibaoCase,
    DistrictSetting,
    Investigation,
    OutreachReport,
    Payroll,
    ProgrammeCase,
    PublicNotice,
)
from assistance.payroll.workflow import PAYROLL
from assistance.permissions import APPROVE_PAYROLL, CONFIRM_DIBAO, DECIDE_PROGRAMME, REPORT_OUTREACH
from assistance.programmes.workflow import PROGRAMME
from core.models import User
from core.roles import Role
from core.scope import county_code, scope_queryset

S = DibaoCase.Status
PER_KIND_LIMIT = 500
CASEWORK = "assistance.change_dibaocase"


@dataclass(frozen=True)
class InboxItem:
    kind: str
    kind_label: str
    title: str
    detail: str
    deadline: dt.date | None
    since: dt.date | None
    url: str | None
    overdue: bool

    @property
    def sort_key(self) -> tuple[Any, ...]:
        # Items with a deadline first (earliest first), then the others by age.
        return (self.deadline is None, self.deadline or self.since or dt.date.max, self.title)


# ----------------------------------------------------------------------------- links


def _reverse_or(names: tuple[str, ...], pk: int, fallback: str) -> str:
    """The first URL name that resolves, else the hard path (pages built in other modules)."""
    for name in names:
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return fallback


def case_url(pk: int) -> str:
    """The dibao case page."""
    return _reverse_or(("assistance:detail", "assistance:case"), pk, f"/dibao/{pk}/")


def programme_case_url(pk: int) -> str:
    return _reverse_or(("assistance_programmes:detail",), pk, f"/programmes/{pk}/")


def payroll_url(pk: int) -> str:
    return _reverse_or(("assistance_payroll:detail",), pk, f"/payroll/{pk}/")


def outreach_url(pk: int) -> str:
    return _reverse_or(
        ("assistance_programmes:outreach_detail",), pk, f"/programmes/outreach/{pk}/"
    )


# ----------------------------------------------------------------------------- querysets


def _cases(user: User) -> QuerySet[DibaoCase]:
    # The case's indexed copy of the household's village (migration 0014): counts need no join.
    return scope_queryset(DibaoCase.objects.all(), user, region_field="village").select_related(
        "household__village__parent"
    )


def _case_base(user: User, today: dt.date) -> QuerySet[DibaoCase]:
    """The cases of the user's area with what the case kinds' conditions read, as aliases (in
    SQL only where a condition uses them)."""
    last_end = Subquery(
        PublicNotice.objects.filter(case=OuterRef("pk"))
        .order_by("-starts_on", "-id")
        .values("ends_on")[:1]
    )
    delegated = Exists(
        DistrictSetting.objects.filter(
            county__code=county_code("household__village", outer=True),
            confirmation_delegated=True,
        )
    )
    investigated = Exists(Investigation.objects.filter(case=OuterRef("pk")))
    return _cases(user).alias(notice_end=last_end, delegated=delegated, investigated=investigated)


# The dibao-case kinds: the workflow action each offers, and its condition on _case_base.
# Status and separation of duties (whoever took part in the basis never confirms) come from the
# declaration, so the inbox offers exactly what the service would allow. Each condition starts
# with the status test (cheap, evaluated first).
CASE_ACTIONS = {
    "accept": "accept",
    "start_investigation": "start_investigation",
    "record_investigation": "investigate",
    "propose": "propose",
    "start_notice": "start_notice",
    "confirm": "confirm",
}


def _actionable(kind: str, user: User) -> Q:
    return DIBAO.q_actionable(CASE_ACTIONS[kind], user)


def c_accept(user: User, today: dt.date) -> Q:
    return _actionable("accept", user)


def c_start_investigation(user: User, today: dt.date) -> Q:
    return _actionable("start_investigation", user)


def c_record_investigation(user: User, today: dt.date) -> Q:
    return _actionable("record_investigation", user) & Q(investigated=False)


def c_propose(user: User, today: dt.date) -> Q:
    return _actionable("propose", user) & Q(investigated=True)


def c_start_notice(user: User, today: dt.date) -> Q:
    return _actionable("start_notice", user)


def c_confirm_township(user: User, today: dt.date) -> Q:
    """Where the district delegated confirmation; relatives of staff stay with the district."""
    return (
        _actionable("confirm", user)
        & Q(notice_end__lt=today)
        & Q(delegated=True, relative_of_staff=False)
    )


def c_confirm_district(user: User, today: dt.date) -> Q:
    """The district confirms unless it delegated; relatives of staff always come here."""
    return (
        _actionable("confirm", user)
        & Q(notice_end__lt=today)
        & (Q(delegated=False) | Q(relative_of_staff=True))
    )


def _case_query(condition: Callable[[User, dt.date], Q]) -> Callable[[User, dt.date], QuerySet]:
    def query(user: User, today: dt.date) -> QuerySet:
        return _case_base(user, today).filter(condition(user, today))

    query.__doc__ = condition.__doc__
    return query


def q_review(user: User, today: dt.date) -> QuerySet:
    return scope_queryset(
        CaseReview.objects.filter(closed_on__isnull=True),
        user,
        region_field="case__household__village",
    ).select_related("case__household__village__parent")


def q_document_emergency(user: User, today: dt.date) -> QuerySet:
    return reviews.emergency_aid_undocumented(user=user).select_related(
        "household__village__parent"
    )


def q_outreach(user: User, today: dt.date) -> QuerySet:
    return scope_queryset(
        OutreachReport.objects.filter(status=OutreachReport.Status.OPEN),
        user,
        region_field="village",
    ).select_related("village__parent")


def q_my_outreach(user: User, today: dt.date) -> QuerySet:
    return q_outreach(user, today).filter(reported_by=user)


def q_decide_programme(user: User, today: dt.date) -> QuerySet:
    return scope_queryset(
        ProgrammeCase.objects.filter(PROGRAMME.q_actionable("approve", user)),
        user,
        region_field="village",
    ).select_related("household__village__parent")


def q_approve_payroll(user: User, today: dt.date) -> QuerySet:
    return scope_queryset(
        Payroll.objects.filter(PAYROLL.q_actionable("approve", user)), user, region_field="county"
    ).select_related("county")


# ----------------------------------------------------------------------------- items


def _place(village: Any) -> str:
    town = village.parent.name if village.parent_id else ""
    return f"{town} {village.name}".strip()


def _case_item(kind: str, deadline_field: str | None, since_field: str) -> Callable:
    def make(case: DibaoCase, today: dt.date) -> InboxItem:
        deadline = getattr(case, deadline_field) if deadline_field else None
        return InboxItem(
            kind=kind,
            kind_label=str(KIND_LABELS[kind]),
            title=f"{case} · {case.get_status_display()}",
            detail=f"{_place(case.household.village)} · {case.household.address}",
            deadline=deadline,
            since=getattr(case, since_field, None),
            url=case_url(case.pk),
            overdue=bool(deadline and deadline < today),
        )

    return make


def _review_item(review: CaseReview, today: dt.date) -> InboxItem:
    case = review.case
    return InboxItem(
        kind="review",
        kind_label=str(KIND_LABELS["review"]),
        title=f"{case} · {review.get_kind_display()}",
        detail=f"{_place(case.household.village)} · {case.household.address}",
        deadline=review.due_on,
        since=review.opened_on,
        url=case_url(case.pk),
        overdue=review.due_on < today,
    )


def _programme_item(kind: str, deadline_field: str | None) -> Callable:
    def make(pc: ProgrammeCase, today: dt.date) -> InboxItem:
        deadline = getattr(pc, deadline_field) if deadline_field else None
        return InboxItem(
            kind=kind,
            kind_label=str(KIND_LABELS[kind]),
            title=str(pc),
            detail=f"{_place(pc.household.village)} · {pc.household.address}",
            deadline=deadline,
            since=pc.applied_on,
            url=programme_case_url(pc.pk),
            overdue=bool(deadline and deadline < today),
        )

    return make


def _outreach_item(kind: str) -> Callable:
    def make(report: OutreachReport, today: dt.date) -> InboxItem:
        return InboxItem(
            kind=kind,
            kind_label=str(KIND_LABELS[kind]),
            title=report.subject_name,
            detail=f"{_place(report.village)} · {report.description[:60]}",
            deadline=None,
            since=timezone.localtime(report.reported_at).date(),
            url=outreach_url(report.pk),
            overdue=False,
        )

    return make


def _payroll_item(payroll: Payroll, today: dt.date) -> InboxItem:
    return InboxItem(
        kind="approve_payroll",
        kind_label=str(KIND_LABELS["approve_payroll"]),
        title=f"{payroll.county.name} {payroll.month:%Y-%m}",
        detail=f"{payroll.line_count} · {payroll.total}",
        deadline=None,
        since=payroll.month,
        url=payroll_url(payroll.pk),
        overdue=False,
    )


KIND_LABELS = {
    "accept": _("Applications to accept"),
    "start_investigation": _("Investigations to start"),
    "record_investigation": _("Investigations to record"),
    "propose": _("Township proposals to make"),
    "start_notice": _("Public notices to start"),
    "confirm": _("Notices ended: waiting for confirmation"),
    "review": _("Open reviews"),
    "document_emergency": _("Emergency aid awaiting documentation"),
    "outreach": _("Open outreach reports"),
    "my_outreach": _("My open outreach reports"),
    "decide_programme": _("Programme applications awaiting decision"),
    "approve_payroll": _("Draft payrolls to approve"),
}


@dataclass(frozen=True)
class Source:
    kind: str
    perm: str
    query: Callable[[User, dt.date], QuerySet]
    item: Callable[[Any, dt.date], InboxItem]
    order_by: tuple[str, ...]
    # A dibao-case kind: its condition on _case_base (`query` filters by it), so a user's case
    # kinds — six for a caseworker — are counted and read together, in one query.
    condition: Callable[[User, dt.date], Q] | None = None


def _case_source(
    kind: str,
    perm: str,
    item: Callable[[Any, dt.date], InboxItem],
    order_by: tuple[str, ...],
    condition: Callable[[User, dt.date], Q],
) -> Source:
    """A dibao-case kind: its query is _case_base filtered by its condition."""
    return Source(kind, perm, _case_query(condition), item, order_by, condition)


ROLE_SOURCES: dict[str, tuple[Source, ...]] = {
    Role.CASEWORKER: (
        _case_source(
            "accept",
            CASEWORK,
            _case_item("accept", "acceptance_due", "applied_on"),
            ("acceptance_due", "applied_on"),
            c_accept,
        ),
        _case_source(
            "start_investigation",
            CASEWORK,
            _case_item("start_investigation", "investigation_due", "accepted_on"),
            ("investigation_due",),
            c_start_investigation,
        ),
        _case_source(
            "record_investigation",
            CASEWORK,
            _case_item("record_investigation", "procedure_due", "accepted_on"),
            ("procedure_due",),
            c_record_investigation,
        ),
        _case_source(
            "propose",
            "assistance.propose_dibaocase",
            _case_item("propose", "procedure_due", "accepted_on"),
            ("procedure_due",),
            c_propose,
        ),
        _case_source(
            "start_notice",
            CASEWORK,
            _case_item("start_notice", "procedure_due", "proposed_on"),
            ("procedure_due",),
            c_start_notice,
        ),
        _case_source(
            "confirm",
            CONFIRM_DIBAO,
            _case_item("confirm", "procedure_due", "proposed_on"),
            ("procedure_due",),
            c_confirm_township,
        ),
        Source("review", CASEWORK, q_review, _review_item, ("due_on",)),
        Source(
            "document_emergency",
            "assistance.change_programmecase",
            q_document_emergency,
            _programme_item("document_emergency", "documentation_due"),
            ("documentation_due",),
        ),
        Source(
            "outreach",
            "assistance.change_outreachreport",
            q_outreach,
            _outreach_item("outreach"),
            ("reported_at",),
        ),
    ),
    Role.CIVIL_AFFAIRS_REVIEWER: (
        _case_source(
            "confirm",
            CONFIRM_DIBAO,
            _case_item("confirm", "procedure_due", "proposed_on"),
            ("procedure_due",),
            c_confirm_district,
        ),
        Source(
            "decide_programme",
            DECIDE_PROGRAMME,
            q_decide_programme,
            _programme_item("decide_programme", None),
            ("applied_on",),
        ),
        Source("approve_payroll", APPROVE_PAYROLL, q_approve_payroll, _payroll_item, ("month",)),
    ),
    Role.VILLAGE_ASSISTANT: (
        Source(
            "my_outreach",
            REPORT_OUTREACH,
            q_my_outreach,
            _outreach_item("my_outreach"),
            ("reported_at",),
        ),
    ),
}


def register_source(role: str, source: Source, label: Any) -> None:
    """Add a kind of item from a higher layer (e.g. transitions' objections to a public
    disclosure), at its AppConfig.ready(): this module never imports it."""
    if source.kind not in {s.kind for s in ROLE_SOURCES.get(role, ())}:
        ROLE_SOURCES[role] = (*ROLE_SOURCES.get(role, ()), source)
    KIND_LABELS[source.kind] = label


def _sources(user: User) -> list[Source]:
    if not user.is_authenticated or not user.is_active or not user.role:
        return []
    return [s for s in ROLE_SOURCES.get(user.role, ()) if user.has_perm(s.perm)]


def inbox_counts(
    user: User, *, today: dt.date | None = None, known: Mapping[str, int] | None = None
) -> dict[str, int]:
    """{kind: count} of the items waiting for `user` (kinds of their role, zeros included).
    `known`: counts already known (see `inbox_page`), not asked again."""
    today = today or timezone.localdate()
    known = known or {}
    sources = _sources(user)
    counts = dict(known)
    asked = [s for s in sources if s.kind not in known]
    together = _together(asked)
    if together:  # one COUNT(*) FILTER (WHERE …) per case kind, in one query
        totals = _case_base(user, today).aggregate(
            **{f"n_{s.kind}": Count("pk", filter=s.condition(user, today)) for s in together}  # type: ignore[misc]
        )
        counts.update({s.kind: totals[f"n_{s.kind}"] for s in together})
    for s in asked:
        if s not in together:
            counts[s.kind] = s.query(user, today).count()
    return {s.kind: counts[s.kind] for s in sources}


def _together(sources: list[Source]) -> list[Source]:
    """The dibao-case kinds among `sources` worth reading together (two or more)."""
    cases = [s for s in sources if s.condition is not None]
    return cases if len(cases) > 1 else []


def _case_kinds(
    user: User, today: dt.date, together: list[Source]
) -> dict[str, list[DibaoCase]] | None:
    """The cases of each kind in `together`, at most PER_KIND_LIMIT a kind in the kind's order,
    read in one query; None when more rows than that would come (the kinds are then read one by
    one, each with its own limit)."""
    flags = {
        f"k_{s.kind}": ExpressionWrapper(s.condition(user, today), output_field=BooleanField())  # type: ignore[misc]
        for s in together
    }
    # The rows of the kinds' statuses, flagged in SQL; the flags are not repeated in a WHERE
    # (planning the conditions twice cost more than reading a town's few extra rows).
    statuses = DIBAO.statuses_for(*(CASE_ACTIONS[s.kind] for s in together))
    cap = PER_KIND_LIMIT * len(together)
    read = list(
        _case_base(user, today)
        .filter(status__in=statuses)
        .annotate(**flags)
        .order_by("pk")[: cap + 1]
    )
    if len(read) > cap:
        return None
    rows = [r for r in read if any(getattr(r, name) for name in flags)]
    out = {}
    for s in together:
        mine = [r for r in rows if getattr(r, f"k_{s.kind}")]
        mine.sort(key=_order_key(s.order_by))
        out[s.kind] = mine[:PER_KIND_LIMIT]
    return out


def _order_key(fields: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A sort key for rows as `order_by(*fields, "pk")` orders them (NULLs last)."""

    def key(row: Any) -> tuple[Any, ...]:
        return (*((getattr(row, f) is None, getattr(row, f)) for f in fields), row.pk)

    return key


def _items_by_kind(user: User, *, kind: str, today: dt.date) -> dict[str, list[InboxItem]]:
    sources = [s for s in _sources(user) if not kind or s.kind == kind]
    together = _together(sources)
    read = _case_kinds(user, today, together) if together else None
    out = {}
    for source in sources:
        if read is not None and source.kind in read:
            rows: Any = read[source.kind]
        else:
            rows = source.query(user, today).order_by(*source.order_by, "pk")[:PER_KIND_LIMIT]
        out[source.kind] = [source.item(row, today) for row in rows]
    return out


def _sorted(by_kind: Mapping[str, list[InboxItem]]) -> list[InboxItem]:
    return sorted(chain.from_iterable(by_kind.values()), key=lambda i: i.sort_key)


def inbox_items(user: User, *, kind: str = "", today: dt.date | None = None) -> list[InboxItem]:
    """The items waiting for `user`, ordered by deadline (undated ones after, oldest first)."""
    return _sorted(_items_by_kind(user, kind=kind, today=today or timezone.localdate()))


def inbox_page(
    user: User, *, kind: str = "", today: dt.date | None = None
) -> tuple[dict[str, int], list[InboxItem]]:
    """The inbox page's (counts of every kind, items of `kind` or of all): a kind whose items
    were all read (fewer than PER_KIND_LIMIT) is counted by them, not by one more query."""
    today = today or timezone.localdate()
    by_kind = _items_by_kind(user, kind=kind, today=today)
    known = {k: len(items) for k, items in by_kind.items() if len(items) < PER_KIND_LIMIT}
    return inbox_counts(user, today=today, known=known), _sorted(by_kind)


def inbox_kinds(user: User) -> list[tuple[str, str]]:
    """(kind, label) for the user's role, in display order."""
    return [(s.kind, str(KIND_LABELS[s.kind])) for s in _sources(user)]
