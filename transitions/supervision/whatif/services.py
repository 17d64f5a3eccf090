"""Writes of what-if scenarios: start one (checked at once, simulated in the background), the
task's run, and the export of the per-district results. The simulation reads the policy rows
and the register and never writes either (transitions.supervision.whatif.engine)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models.policy import SupplementCategory
from core import exports
from core.job_progress import job_finish, job_progress_writer
from core.models import Job, Region, User
from core.months import month_start, parse_month
from core.services import require_perm

from ...models import WhatIfDistrict, WhatIfScenario, WhatIfTransition
from . import engine
from .permissions import RUN
from .selectors import whatif_counties

log = logging.getLogger(__name__)

JOB_KIND = "whatif"
MAX_STANDARD = Decimal("100000")
St = WhatIfScenario.Status


def _number(
    value: Any, key: str, errors: dict[str, list[str]], *, low: Decimal, high: Decimal
) -> Decimal | None:
    """A decimal with at most two places in [low, high]; None when left empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[key] = [_("Enter a number.")]
        return None
    if not d.is_finite():
        errors[key] = [_("Enter a number.")]
    elif d < low or d > high:
        errors[key] = [_("Enter a value from %(low)s to %(high)s.") % {"low": low, "high": high}]
    elif d != d.quantize(Decimal("0.01")):
        errors[key] = [_("At most two decimal places.")]
    else:
        return d.quantize(Decimal("0.01"))
    return None


def _month(value: str | dt.date | None, errors: dict[str, list[str]], today: dt.date) -> dt.date:
    this_month = month_start(today)
    if isinstance(value, dt.date):
        month = month_start(value)
    else:
        try:
            month = parse_month(str(value or "").strip())
        except ValidationError:
            errors["effective_month"] = [_("Give the month as YYYY-MM.")]
            return this_month
    if month < this_month:
        errors["effective_month"] = [
            _("A standard changes from this month or a later one (%(month)s or later).")
            % {"month": f"{this_month:%Y-%m}"}
        ]
    return month


def _json(side: engine.Side, counties: dict[int, Region]) -> dict[str, Any]:
    return {
        "standards": {
            counties[k].code: {"urban": str(u), "rural": str(r)}
            for k, (u, r) in sorted(side.standards.items())
            if k in counties
        },
        "supplements": {k: str(v) for k, v in sorted(side.percents.items())},
        "price_trigger_pct": str(side.price_trigger_pct),
    }


def whatif_proposal(
    *,
    effective_month: str | dt.date | None,
    standards: dict[str, dict[str, Any]] | None,
    supplements: dict[str, Any] | None,
    price_trigger_pct: Any,
    by: User,
    today: dt.date | None = None,
) -> tuple[engine.Proposal, list[Region]]:
    """The input checked (field errors: `effective_month`, `standards.<code>.urban|rural`,
    `supplements.<category>`, `price_trigger_pct`): the proposal and the districts it covers."""
    errors: dict[str, list[str]] = {}
    month = _month(effective_month, errors, today or timezone.localdate())
    counties = whatif_counties(by)
    by_code = {c.code: c for c in counties}
    new_standards: dict[int, tuple[Decimal | None, Decimal | None]] = {}
    for code, values in (standards or {}).items():
        county = by_code.get(str(code))
        if county is None:
            errors[f"standards.{code}"] = [_("Not a district you may propose a standard for.")]
            continue
        values = values if isinstance(values, dict) else {}
        pair = tuple(
            _number(
                values.get(area),
                f"standards.{code}.{area}",
                errors,
                low=Decimal(0),
                high=MAX_STANDARD,
            )
            for area in ("urban", "rural")
        )
        if pair != (None, None):
            new_standards[county.pk] = pair  # type: ignore[assignment]
    new_supplements: dict[str, Decimal] = {}
    for cat, value in (supplements or {}).items():
        if cat not in SupplementCategory.values:
            errors[f"supplements.{cat}"] = [_("Unknown supplement category.")]
            continue
        pct = _number(value, f"supplements.{cat}", errors, low=Decimal(0), high=Decimal(100))
        if pct is not None:
            new_supplements[cat] = pct
    trigger = _number(
        price_trigger_pct, "price_trigger_pct", errors, low=Decimal(-100), high=Decimal(100)
    )
    if errors:
        raise ValidationError(errors)
    return (
        engine.Proposal(
            month=month,
            standards=new_standards,
            supplements=new_supplements,
            price_trigger_pct=trigger,
        ),
        counties,
    )


def whatif_start(
    *,
    title: str,
    effective_month: str | dt.date | None,
    standards: dict[str, dict[str, Any]] | None = None,
    supplements: dict[str, Any] | None = None,
    price_trigger_pct: Any = None,
    by: User,
    today: dt.date | None = None,
) -> WhatIfScenario:
    """Check the proposal now (field errors at once), record the scenario and its Job, and
    simulate in the background (after commit). A proposal that changes nothing is refused."""
    from .tasks import run_whatif  # the tasks import this module

    require_perm(by, RUN)
    if by.region is None:
        raise ValidationError(_("Your account has no region."), code="no_region")
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        proposal, counties = whatif_proposal(
            effective_month=effective_month,
            standards=standards,
            supplements=supplements,
            price_trigger_pct=price_trigger_pct,
            by=by,
            today=today,
        )
    except ValidationError as e:
        errors = dict(e.message_dict)
    if not title:
        errors["title"] = [_("Name the scenario.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    pair = engine.resolve(proposal, counties=counties)
    if pair.current == pair.proposed:
        raise ValidationError(
            _(
                "The proposal changes nothing in force in %(month)s: change a standard, a "
                "supplement rate or the price-linkage trigger."
            )
            % {"month": f"{pair.month:%Y-%m}"},
            code="no_change",
        )
    changes = {
        "standards": {
            pair.counties[k].code: {
                "urban": None if u is None else str(u),
                "rural": None if r is None else str(r),
            }
            for k, (u, r) in sorted(proposal.standards.items())
            if k in pair.counties
        },
        "supplements": {k: str(v) for k, v in sorted(proposal.supplements.items())},
        "price_trigger_pct": None
        if proposal.price_trigger_pct is None
        else str(proposal.price_trigger_pct),
    }
    with transaction.atomic():
        scenario = WhatIfScenario.objects.create(
            title=title,
            region=by.region,  # checked above
            effective_month=pair.month,
            changes=changes,
            baseline={
                **_json(pair.current, pair.counties),
                "price_subsidy_pct": str(pair.price_subsidy_pct),
                "cpi_yoy_pct": None if pair.cpi_yoy_pct is None else str(pair.cpi_yoy_pct),
            },
            status=St.QUEUED,
            created_by=by,
        )
        job = Job.objects.create(
            kind=JOB_KIND,
            region=by.region,
            created_by=by,
            progress_total=3,
            result={"scenario": scenario.pk},
        )
        scenario.job = job
        scenario.save(update_fields=["job"])
        WhatIfTransition.objects.create(
            scenario=scenario,
            action="start",
            from_status="",
            to_status=St.QUEUED,
            by=by,
            reason=_("Simulation requested"),
        )
        transaction.on_commit(partial(run_whatif.delay, job.pk))
    return scenario


def proposal_of(scenario: WhatIfScenario) -> engine.Proposal:
    """The stored proposal as the engine takes it."""
    ids = dict(
        Region.objects.filter(code__in=list(scenario.changes.get("standards", {}))).values_list(
            "code", "pk"
        )
    )

    def dec(v: str | None) -> Decimal | None:
        return None if v is None else Decimal(v)

    return engine.Proposal(
        month=scenario.effective_month,
        standards={
            ids[code]: (dec(v.get("urban")), dec(v.get("rural")))
            for code, v in scenario.changes.get("standards", {}).items()
            if code in ids
        },
        supplements={k: Decimal(v) for k, v in scenario.changes.get("supplements", {}).items()},
        price_trigger_pct=dec(scenario.changes.get("price_trigger_pct")),
    )


def _move(scenario: WhatIfScenario, to: str, reason: str, **fields: Any) -> None:
    WhatIfTransition.objects.create(
        scenario=scenario,
        action=to,
        from_status=scenario.status,
        to_status=to,
        by=None,
        reason=reason[:1000],
    )
    WhatIfScenario.objects.filter(pk=scenario.pk).update(status=to, **fields)
    scenario.status = to


def whatif_run(*, job_id: int) -> int | None:
    """The task's body: simulate the job's scenario and store its districts' figures. Runs once
    (a redelivered message finds the scenario no longer queued); returns the scenario id."""
    job = Job.objects.filter(pk=job_id, kind=JOB_KIND).first()
    if job is None:
        return None
    scenario = WhatIfScenario.objects.select_related("region").filter(job=job).first()
    if scenario is None:
        return None
    with transaction.atomic():
        claimed = WhatIfScenario.objects.filter(pk=scenario.pk, status=St.QUEUED).update(
            status=St.RUNNING
        )
        if not claimed:
            return None
        scenario.status = St.QUEUED
        _move(scenario, St.RUNNING, _("Simulation started"))
        Job.objects.filter(pk=job_id).update(status=Job.Status.RUNNING, updated_at=timezone.now())
    progress, close = job_progress_writer(job)
    started = time.perf_counter()
    try:
        progress(0, 3, _("Reading the policy in force"))
        counties = list(
            Region.objects.filter(
                level=Region.Level.COUNTY, path__startswith=scenario.region.path
            ).order_by("code")
        )
        pair = engine.resolve(proposal_of(scenario), counties=counties)
        progress(1, 3, _("Simulating over the register"))
        results = engine.simulate(pair)
        progress(2, 3, _("Writing the results"))
        seconds = time.perf_counter() - started
        with transaction.atomic():
            WhatIfDistrict.objects.filter(scenario=scenario).delete()
            WhatIfDistrict.objects.bulk_create(
                WhatIfDistrict(
                    scenario=scenario,
                    county_id=r.county_id,
                    households=r.households,
                    active=r.active,
                    pending=r.pending,
                    changed=r.changed,
                    became_eligible=r.became_eligible,
                    became_ineligible=r.became_ineligible,
                    current_monthly=r.current_monthly,
                    proposed_monthly=r.proposed_monthly,
                    monthly_difference=r.monthly_difference,
                    yearly_difference=r.yearly_difference,
                )
                for r in results
            )
            diff = sum((r.monthly_difference for r in results), Decimal(0))
            message = _("%(n)s households; monthly difference %(diff)s yuan") % {
                "n": f"{sum(r.households for r in results):,}",
                "diff": f"{diff:+,.2f}",
            }
            _move(scenario, St.DONE, message, finished_at=timezone.now(), seconds=seconds)
    except ValidationError as e:
        message = "; ".join(e.messages)
        _move(scenario, St.FAILED, message, finished_at=timezone.now())
        job_finish(job_id, status=Job.Status.FAILED, message=message)
        return scenario.pk
    except Exception:
        log.exception("what-if %s failed", scenario.pk)
        message = _("The simulation failed; nothing was saved. Start it again.")
        _move(scenario, St.FAILED, message, finished_at=timezone.now())
        job_finish(job_id, status=Job.Status.FAILED, message=message)
        return scenario.pk
    finally:
        close()
    job_finish(job_id, status=Job.Status.DONE, message=message, result={"scenario": scenario.pk})
    return scenario.pk


# -- export ------------------------------------------------------------------------------------


def export_headers() -> list[str]:
    return [
        _("District"),
        _("Households"),
        _("Active cases"),
        _("Pending applications"),
        _("Amount changes"),
        _("Become eligible"),
        _("Become ineligible"),
        _("Monthly cost now (yuan)"),
        _("Monthly cost as proposed (yuan)"),
        _("Monthly difference (yuan)"),
        _("Yearly difference (yuan)"),
    ]


def export_rows(scenario: WhatIfScenario) -> list[list[object]]:
    rows: list[list[object]] = []
    totals: list[Any] = [_("Total"), 0, 0, 0, 0, 0, 0] + [Decimal(0)] * 4
    for d in scenario.districts.select_related("county").order_by("county__code"):
        values = [
            d.households,
            d.active,
            d.pending,
            d.changed,
            d.became_eligible,
            d.became_ineligible,
            d.current_monthly,
            d.proposed_monthly,
            d.monthly_difference,
            d.yearly_difference,
        ]
        rows.append([d.county.name, *values])
        totals = [totals[0], *(t + v for t, v in zip(totals[1:], values, strict=True))]
    rows.append(totals)
    return rows


def whatif_export(scenario: WhatIfScenario, fmt: str) -> tuple[bytes, str, str]:
    """The per-district results as xlsx or csv, through the formula-safe core.exports."""
    if fmt not in exports.CONTENT_TYPES:
        raise ValidationError({"format": [_("Choose xlsx or csv.")]})
    if scenario.status != St.DONE:
        raise ValidationError(_("The simulation has not finished."), code="not_done")
    body = exports.write_file(
        export_rows(scenario),
        headers=export_headers(),
        fmt=fmt,
        sheet_title=f"{scenario.effective_month:%Y-%m}",
    )
    name = f"what-if-{scenario.pk}-{scenario.effective_month:%Y-%m}.{fmt}"
    return body, exports.CONTENT_TYPES[fmt], name
