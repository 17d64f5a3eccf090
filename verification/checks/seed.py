"""Default cross-check rules (policy data: verification.CrossCheckRule), domain.md §4.

Each default is justified below; every number is a parameter an administrator changes by ending
the period and starting a new one (EffectiveDated), never a literal in the SQL. Amounts are
multiples of the dibao standard in force for the household's county and hukou on the run's date.

Disqualifying (block the township proposal until resolved):

- financial_assets — deposits + securities per person of the dibao unit above 24 × the monthly
  standard: Guangdong's near-dibao property test (domain.md §4, Default). Commercial insurance
  has no departmental dataset yet; it stays on the declaration.
- housing_second_home — more than one residential property in the unit: "at most one home".
- housing_non_residential — any shop, office, factory or warehouse: "no non-residential".
- motor_vehicle — any vehicle except the exempt types (disability carriages, motorcycles,
  e-bikes; the list is data); a vehicle used for the family's livelihood can be waived.
- business_employees — a registered business with employees: a husband-and-wife stall without
  employees is not flagged; one with employees may be waived.

Income (the caseworker counts it in the declaration):

- salary_declared_unemployed — any salary on record for a member declared unemployed: the
  declaration and the employer's report disagree, whatever the amount.
- salary_above_standard — a salary above 1 × the standard: the member earns more than the
  whole guarantee line by himself.
- provident_fund_salary — housing-provident-fund deposits implying a salary above the standard
  (deposit ÷ 24 %: 12 % employee + 12 % employer, the Jiangmen ceiling, so the implied salary
  is a lower bound and a flag is never an over-estimate).

Informational (shown in the report, decide nothing):

- social_insurance_salary — employee insurance contributions implying a salary above the
  standard (contribution ÷ 8 %, the employee pension share).
- tax_paid — any individual income tax paid: below the threshold no tax is due, so any tax says
  "look at the income".
- agricultural_machinery — machinery worth more than 12 × the standard (a tractor is income
  capacity, a hand tool is not).
- agricultural_subsidy — subsidies above 6 × the standard a year (large-scale farming).
- registration_absent — a member missing from the public-security household registration: the
  unit's composition should be checked (informational: the register is often late).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

VALID_FROM = dt.date(2017, 1, 1)
SOURCE = "Default (issue 9, domain.md §4); 江府办〔2017〕23号"

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "code": "financial_assets",
        "kind": "bank_deposit",
        "category": "disqualifying",
        "evaluator": "unit_sum",
        "waivable": True,
        "parameters": {
            "sources": [
                ["bank_deposit", "balance", "bank"],
                ["securities", "market_value", "institution"],
            ],
            "per_person": True,
            "threshold": {"multiple": "24"},
        },
        "label": "金融资产超过标准",
        "description": "共同生活家庭成员人均存款和证券市值超过当地月低保标准的24倍。",
    },
    {
        "code": "housing_second_home",
        "kind": "housing",
        "category": "disqualifying",
        "evaluator": "unit_count",
        "waivable": True,
        "parameters": {
            "exclude_field": "use",
            "exclude_patterns": ["%商%", "%办公%", "%厂%", "%仓%", "%工业%", "%车库%", "%车位%"],
            "max_count": 1,
            "key_field": "property_address",
        },
        "label": "拥有两套以上住房",
        "description": "共同生活家庭成员名下住宅超过一套。",
    },
    {
        "code": "housing_non_residential",
        "kind": "housing",
        "category": "disqualifying",
        "evaluator": "record",
        "waivable": True,
        "parameters": {
            "include_field": "use",
            "include_patterns": ["%商%", "%办公%", "%厂%", "%仓%", "%工业%"],
            "value_field": "area",
            "threshold": {"amount": "0"},
            "key_field": "property_address",
        },
        "label": "拥有非住宅房产",
        "description": "共同生活家庭成员名下有商铺、办公、厂房、仓储等非住宅房产。",
    },
    {
        "code": "motor_vehicle",
        "kind": "motor_vehicle",
        "category": "disqualifying",
        "evaluator": "record",
        "waivable": True,
        "parameters": {
            "exclude_field": "vehicle_type",
            "exclude_patterns": ["%残疾%", "%摩托%", "%电动自行车%", "%轮椅%"],
            "threshold": None,
            "key_field": "plate",
        },
        "label": "拥有机动车辆",
        "description": "名下有机动车辆（残疾人功能性补偿代步机动车、摩托车、电动自行车除外）；"
        "用于维持家庭生计的车辆可经审核豁免。",
    },
    {
        "code": "business_employees",
        "kind": "business",
        "category": "disqualifying",
        "evaluator": "record",
        "waivable": True,
        "parameters": {
            "value_field": "employees",
            "threshold": {"amount": "0"},
            "key_field": "registration_no",
        },
        "label": "经营雇工的个体工商户",
        "description": "名下登记的个体工商户有雇工；无雇工的夫妻店可经审核豁免。",
    },
    {
        "code": "salary_declared_unemployed",
        "kind": "employment",
        "category": "income",
        "evaluator": "record",
        "waivable": False,
        "parameters": {
            "value_field": "monthly_salary",
            "threshold": {"amount": "0"},
            "employment_status": "unemployed",
            "key_field": "employer",
        },
        "label": "申报无业但有工资收入",
        "description": "申报为无业的家庭成员在就业数据中有工资收入。",
    },
    {
        "code": "salary_above_standard",
        "kind": "employment",
        "category": "income",
        "evaluator": "record",
        "waivable": False,
        "parameters": {
            "value_field": "monthly_salary",
            "threshold": {"multiple": "1"},
            "key_field": "employer",
        },
        "label": "工资收入高于低保标准",
        "description": "家庭成员月工资高于当地月低保标准。",
    },
    {
        "code": "provident_fund_salary",
        "kind": "provident_fund",
        "category": "income",
        "evaluator": "record",
        "waivable": False,
        "parameters": {
            "value_field": "monthly_contribution",
            "divide_by": "0.24",
            "threshold": {"multiple": "1"},
            "key_field": "",
        },
        "label": "公积金缴存显示工资高于标准",
        "description": "住房公积金月缴存额（按单位和个人合计24%折算）显示的工资高于当地月低保标准。",
    },
    {
        "code": "social_insurance_salary",
        "kind": "social_insurance",
        "category": "informational",
        "evaluator": "record",
        "waivable": False,
        "parameters": {
            "value_field": "monthly_contribution",
            "divide_by": "0.08",
            "threshold": {"multiple": "1"},
            "key_field": "insurance",
        },
        "label": "社保缴费显示有工资收入",
        "description": "职工社会保险个人缴费（按8%折算）显示的工资高于当地月低保标准。",
    },
    {
        "code": "tax_paid",
        "kind": "tax",
        "category": "informational",
        "evaluator": "record",
        "waivable": False,
        "parameters": {
            "value_field": "tax_paid",
            "threshold": {"amount": "0"},
            "key_field": "tax_year",
        },
        "label": "有个人所得税纳税记录",
        "description": "家庭成员缴纳了个人所得税，其收入可能高于起征点。",
    },
    {
        "code": "agricultural_machinery",
        "kind": "agricultural_machinery",
        "category": "informational",
        "evaluator": "record",
        "waivable": False,
        "parameters": {
            "value_field": "value",
            "threshold": {"multiple": "12"},
            "key_field": "machine_type",
        },
        "label": "拥有较大价值农机",
        "description": "名下农机价值超过当地月低保标准的12倍。",
    },
    {
        "code": "agricultural_subsidy",
        "kind": "agricultural_subsidy",
        "category": "informational",
        "evaluator": "record",
        "waivable": False,
        "parameters": {
            "value_field": "amount",
            "threshold": {"multiple": "6"},
            "key_field": "subsidy_type",
        },
        "label": "领取较大金额农业补贴",
        "description": "领取的农业补贴超过当地月低保标准的6倍（规模种养）。",
    },
    {
        "code": "registration_absent",
        "kind": "household_registration",
        "category": "informational",
        "evaluator": "absent",
        "waivable": False,
        "parameters": {},
        "label": "户籍数据中无此人",
        "description": "家庭成员不在公安户籍数据中，需核实家庭人口。",
    },
]


def seed(apps: Any) -> None:
    """Idempotent: a rule code that has any period is left alone. Silent when the model does
    not exist yet (the datasets' migration loads the policy before this part's tables exist;
    this part's own migration loads it again)."""
    try:
        Rule = apps.get_model("verification", "CrossCheckRule")
    except LookupError:
        return
    have = set(Rule.objects.values_list("code", flat=True))
    for row in DEFAULT_RULES:
        if row["code"] in have:
            continue
        Rule.objects.create(valid_from=VALID_FROM, source_document=SOURCE, **row)
