"""The household's whole story across departments (issue 8 §9): one timeline of the register,
dibao, the poverty record, hand-offs, the phase-out and insurance; and the household "as it
stood on date D" — its members, classification, dibao status and amount, poverty status.

A fixed number of queries per source (each capped), whatever the household's history; what a
user's role may not see (dibao cases, the poverty record) is left out, not hidden in the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import BenefitAward, CaseTransition, DibaoCase
from core.models import User
from core.months import month_start
from households.models import Household, Membership
from poverty.models import (
    AssistanceMeasure,
    HouseholdClassification,
    PovertyRecordTransition,
)

from .models import HandoffTransition, InsuranceEnrolment, PhaseOutTransition

CAP = 60  # events per source: the page shows the latest; older ones are in each record


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    department: str
    what: str
    who: str
    url: str = ""


def _who(user: User | None) -> str:
    if user is None:
        return _("System")
    return user.get_full_name() or user.username


def _day(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(), tzinfo=timezone.get_current_timezone())


def household_timeline(*, user: User, household: Household) -> list[Event]:
    events: list[Event] = []
    ca, po, ss = _("Civil affairs"), _("Poverty office"), _("Social security")
    for m in (
        Membership.objects.filter(household=household)
        .select_related("person")
        .order_by("-id")[:CAP]
    ):
        events.append(
            Event(
                _day(m.start_date),
                _("Register"),
                _("%(name)s joined (%(rel)s)")
                % {"name": m.person.name, "rel": m.get_relation_display()},
                "",
            )
        )
        if m.end_date:
            events.append(
                Event(
                    _day(m.end_date),
                    _("Register"),
                    _("%(name)s left: %(why)s")
                    % {"name": m.person.name, "why": m.end_reason or "—"},
                    "",
                )
            )
    if user.has_perm("assistance.view_dibaocase"):
        for t in (
            CaseTransition.objects.filter(case__household=household)
            .select_related("by", "case")
            .order_by("-at")[:CAP]
        ):
            events.append(
                Event(
                    t.at,
                    ca,
                    f"{t.case} {t.get_to_status_display()}: {t.reason}",
                    _who(t.by),
                    reverse("assistance:detail", args=[t.case_id]),
                )
            )
        for p in (
            PhaseOutTransition.objects.filter(phase_out__household=household)
            .select_related("by")
            .order_by("-at")[:CAP]
        ):
            events.append(Event(p.at, ca, _("Phase-out: %(r)s") % {"r": p.reason}, _who(p.by)))
    if user.has_perm("poverty.view_povertyrecord"):
        for r in (
            PovertyRecordTransition.objects.filter(record__household=household)
            .select_related("by", "record")
            .order_by("-at")[:CAP]
        ):
            events.append(
                Event(r.at, po, f"{r.record} {r.get_to_status_display()}: {r.reason}", _who(r.by))
            )
        for a in AssistanceMeasure.objects.filter(household=household).order_by("-started_on")[
            :CAP
        ]:
            events.append(
                Event(
                    _day(a.started_on),
                    po,
                    _("Measure: %(m)s (%(dept)s)")
                    % {"m": a.get_kind_display(), "dept": a.department},
                    a.responsible_person,
                )
            )
        for c in HouseholdClassification.objects.filter(household=household).order_by(
            "-computed_at"
        )[:CAP]:
            events.append(
                Event(
                    c.computed_at,
                    po,
                    _("Classified: %(c)s") % {"c": c.get_klass_display()},
                    _who(c.override_by) if c.overridden else _("System"),
                )
            )
    for h in (
        HandoffTransition.objects.filter(handoff__household=household)
        .select_related("by", "handoff")
        .order_by("-at")[:CAP]
    ):
        events.append(
            Event(
                h.at,
                _("Hand-off"),
                f"{h.handoff} {h.handoff.get_kind_display()}: {h.action} → {h.to_status}",
                _who(h.by),
                reverse("transitions:detail", args=[h.handoff_id]),
            )
        )
    for e in (
        InsuranceEnrolment.history.filter(household_id=household.pk)  # type: ignore[attr-defined]
        .select_related("person", "history_user")
        .order_by("-history_date")[:CAP]
    ):
        events.append(
            Event(
                e.history_date,
                ss,
                _("Insurance: %(name)s %(status)s")
                % {"name": e.person.name, "status": InsuranceEnrolment.Status(e.status).label},
                _who(e.history_user),
            )
        )
    events.sort(key=lambda ev: ev.at, reverse=True)
    return events


@dataclass(frozen=True)
class AsOf:
    on: dt.date
    members: list[tuple[str, str]]
    classification: str
    classification_reasons: list[str]
    dibao_status: str
    amount: Decimal | None
    poverty_status: str
    in_phase_out: bool


def household_as_of(*, user: User, household: Household, on: dt.date) -> AsOf:
    """The household as it stood at the end of day `on`."""
    end = _day(on) + dt.timedelta(days=1)
    members = [
        (m.person.name, m.get_relation_display())
        for m in Membership.objects.filter(household=household, start_date__lte=on)
        .exclude(end_date__lte=on)
        .select_related("person")
        .order_by("start_date", "id")
    ]
    klass, reasons = "", []
    if user.has_perm("poverty.view_povertyrecord"):
        c = (
            HouseholdClassification.objects.filter(household=household, computed_at__lt=end)
            .order_by("-computed_at", "-id")
            .first()
        )
        if c is not None:
            klass, reasons = c.get_klass_display(), list(c.reasons)
    dibao_status, amount, in_phase_out = "", None, False
    if user.has_perm("assistance.view_dibaocase"):
        last = (
            CaseTransition.objects.filter(case__household=household, at__lt=end)
            .select_related("case")
            .order_by("-at", "-id")
            .first()
        )
        if last is not None:
            dibao_status = str(DibaoCase.Status(last.to_status).label)
            award: BenefitAward | None = (
                BenefitAward.objects.filter(
                    case=last.case, effective_month__lte=month_start(on), created_at__lt=end
                )
                .order_by("-effective_month", "-id")
                .first()
            )
            case = last.case
            paying = (
                case.payment_start_month is not None
                and case.payment_start_month <= month_start(on)
                and (case.payment_stop_month is None or case.payment_stop_month > month_start(on))
            )
            if award is not None and paying:
                amount = award.total
                in_phase_out = bool(award.kept_until and award.kept_until >= month_start(on))
    poverty_status = ""
    if user.has_perm("poverty.view_povertyrecord"):
        p = (
            PovertyRecordTransition.objects.filter(record__household=household, at__lt=end)
            .order_by("-at", "-id")
            .first()
        )
        if p is not None:
            poverty_status = p.get_to_status_display()
    return AsOf(on, members, klass, reasons, dibao_status, amount, poverty_status, in_phase_out)


def as_of_param(raw: Any) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(str(raw))
    except ValueError:
        return None
    return day if day <= timezone.localdate() else None
