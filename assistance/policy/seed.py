"""Initial policy data from domain.md (§3–§6). Loaded by a data migration; afterwards the data
administrator maintains it in the admin. Years without a source figure are interpolated and marked."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

SOURCE_GD = "广东省城乡低保最低标准（按地区类别）"
SOURCE_DEFAULT = "Xianjie default (domain.md), pending local policy"

# (year, class 3 urban, class 3 rural, class 4 urban, class 4 rural); None = interpolate.
KNOWN = {
    2015: (520, 386, 410, 260),
    2020: (824, 824, 772, 532),
    2021: (853, 853, 800, 551),
    2023: (914, 914, 857, 600),
}
YEARS = range(2015, 2024)


def _interpolate(year: int) -> tuple[tuple[Decimal, ...], bool]:
    if year in KNOWN:
        return tuple(Decimal(v) for v in KNOWN[year]), False
    lo = max(y for y in KNOWN if y < year)
    hi = min(y for y in KNOWN if y > year)
    f = Decimal(year - lo) / Decimal(hi - lo)
    vals = tuple(
        (Decimal(a) + (Decimal(b) - Decimal(a)) * f).quantize(Decimal("1"), ROUND_HALF_UP)
        for a, b in zip(KNOWN[lo], KNOWN[hi], strict=True)
    )
    return vals, True


def standard_rows() -> list[dict]:
    rows = []
    for year in YEARS:
        vals, interpolated = _interpolate(year)
        valid_to = dt.date(year, 12, 31) if year < max(YEARS) else None
        if year == 2021:  # 2022 has no figure: 2021's stays in force until 2023's
            valid_to = dt.date(2022, 12, 31)
        if year == 2022:
            continue
        rows.append(
            {
                "valid_from": dt.date(year, 1, 1),
                "valid_to": valid_to,
                3: (vals[0], vals[1]),
                4: (vals[2], vals[3]),
                "interpolated": interpolated,
                "source_document": "" if interpolated else SOURCE_GD,
                "note": "interpolated between known years" if interpolated else "",
            }
        )
    return rows


SUPPLEMENTS = {
    "aged_70": Decimal("20"),
    "aged_60": Decimal("10"),
    "severe_disability": Decimal("30"),
    "minor": Decimal("20"),
    "serious_illness": Decimal("20"),
}

INCOME_TYPES = [
    # code, name, counted
    ("wages", "工资性收入", True),
    ("business", "经营性收入（含种养殖）", True),
    ("property_income", "财产性收入（租金、利息等）", True),
    ("employee_pension", "职工养老金、退休金", True),
    ("support", "赡养费、抚养费、扶养费", True),
    ("other_transfer", "其他转移性收入", True),
    ("resident_basic_pension", "城乡居民基本养老保险基础养老金", False),
    ("veteran_benefits", "优待抚恤金", False),
    ("family_planning_reward", "计划生育奖励与扶助金", False),
    ("scholarship", "奖学金、助学金", False),
    ("heroism_reward", "见义勇为等奖励性补助", False),
    ("social_assistance", "政府发放的社会救助款物", False),
]

# Income that varies month to month: with a member able to work, reviewed every 6 months (§5.8).
UNSTABLE_INCOME = {"wages", "business"}

EXPENDITURE_TYPES = [
    # code, name, kind
    ("disability_rehab", "残疾康复、护理支出", "rigid"),
    ("serious_illness_medical", "重特大疾病自付医疗费用", "rigid"),
    ("employment_transport", "就业交通费用", "employment"),
    ("employment_other", "其他必要就业成本", "employment"),
]

PARAMETERS = {
    "notice_days": Decimal("7"),
    "procedure_limit_wd": Decimal("30"),
    "procedure_limit_extended_wd": Decimal("45"),
    "start_investigation_wd": Decimal("3"),
    "refusal_notice_wd": Decimal("3"),
    # Acceptance (受理) of a complete application: the national rule (民发〔2021〕57号 §10) sets
    # no number; a local default the data administrator replaces with the local rule's.
    "accept_wd": Decimal("3"),
    "review_months_stable": Decimal("12"),
    "review_months_unstable": Decimal("6"),
    "price_trigger_pct": Decimal("3.5"),
    "price_subsidy_pct": Decimal("10"),
    "tekun_multiple": Decimal("1.6"),
    "low_income_multiple": Decimal("1.5"),
    "asset_months": Decimal("24"),
    "medical_rate_pct": Decimal("70"),
    "medical_capacity_pct": Decimal("10"),
    "medical_annual_cap": Decimal("50000"),
    "temporary_cap_multiple": Decimal("10"),
    "temporary_document_wd": Decimal("10"),
    "phase_out_months": Decimal("6"),
    # Ages (domain.md §2, §6): labour capacity, tekun, single-person unit, supplements.
    "working_age_from": Decimal("16"),
    "elderly_age_from": Decimal("60"),
    "adult_age": Decimal("18"),
    "supplement_aged_from": Decimal("60"),
    "supplement_aged_high_from": Decimal("70"),
    "notice_start_horizon_days": Decimal("30"),
    "review_partial_capacity_counts": Decimal("1"),
    # Oversight (domain.md §5.9, §8): a public objection to a disclosure list is answered within
    # 15 working days; a receiving department acknowledges an exchange batch within 10 days.
    "objection_answer_wd": Decimal("15"),
    "exchange_receipt_days": Decimal("10"),
}
# Top-up level targets (补差水平) from 2018 on: the Seed's own figures (江府办〔2017〕23号 §二(三)).
TARGETS = {"topup_target_urban_pct": Decimal("75"), "topup_target_rural_pct": Decimal("50")}
TARGETS_FROM = dt.date(2018, 1, 1)
SOURCE_SEED = "江府办〔2017〕23号 §二(三)"
START = dt.date(2015, 1, 1)


def load_policy(apps) -> None:  # type: ignore[no-untyped-def]
    """Idempotent; works with historical models."""
    Region = apps.get_model("core", "Region")
    DibaoStandard = apps.get_model("assistance", "DibaoStandard")
    CategorySupplement = apps.get_model("assistance", "CategorySupplement")
    IncomeType = apps.get_model("assistance", "IncomeType")
    ExpenditureType = apps.get_model("assistance", "ExpenditureType")
    PolicyParameter = apps.get_model("assistance", "PolicyParameter")

    counties = list(Region.objects.filter(level="county"))
    for row in standard_rows():
        for county in counties:
            urban, rural = row[county.area_class or 3]
            DibaoStandard.objects.get_or_create(
                county=county,
                valid_from=row["valid_from"],
                defaults={
                    "valid_to": row["valid_to"],
                    "urban": urban,
                    "rural": rural,
                    "interpolated": row["interpolated"],
                    "source_document": row["source_document"],
                    "note": row["note"],
                },
            )
    for category, percent in SUPPLEMENTS.items():
        CategorySupplement.objects.get_or_create(
            category=category,
            valid_from=START,
            defaults={"percent": percent, "source_document": SOURCE_DEFAULT},
        )
    # The historical model of migration 0002 has no `unstable` yet (0008 adds it, 0009 sets it).
    has_unstable = any(f.name == "unstable" for f in IncomeType._meta.get_fields())
    for code, name, counted in INCOME_TYPES:
        defaults = {"name": name, "counted": counted}
        if has_unstable:
            defaults["unstable"] = code in UNSTABLE_INCOME
        IncomeType.objects.get_or_create(code=code, defaults=defaults)
    for code, name, kind in EXPENDITURE_TYPES:
        ExpenditureType.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    for key, value in PARAMETERS.items():
        PolicyParameter.objects.get_or_create(
            key=key, valid_from=START, defaults={"value": value, "source_document": SOURCE_DEFAULT}
        )
    for key, value in TARGETS.items():
        PolicyParameter.objects.get_or_create(
            key=key,
            valid_from=TARGETS_FROM,
            defaults={"value": value, "source_document": SOURCE_SEED},
        )
