"""The assistance app's models, one module per sub-domain under one app label (so the migrations
stay as they are). Import models from here: `from assistance.models import DibaoCase`."""

from assistance.models.dibao import (
    Attachment,
    BenefitAward,
    CaseReview,
    CaseSubmission,
    CaseTransition,
    DibaoCase,
    ExpenditureDeclaration,
    IncomeDeclaration,
    Investigation,
    NamedInvestigator,
    Objection,
    PropertyDeclaration,
    PublicNotice,
)
from assistance.models.payroll import Payroll, PayrollLine, PayrollTransition
from assistance.models.policy import (
    CategorySupplement,
    CpiReading,
    DibaoStandard,
    DistrictSetting,
    ExpenditureType,
    IncomeType,
    PolicyParameter,
    SupplementCategory,
)
from assistance.models.programmes import (
    OutreachReport,
    Programme,
    ProgrammeCase,
    ProgrammeTransition,
)

__all__ = [
    "Attachment",
    "BenefitAward",
    "CaseReview",
    "CaseSubmission",
    "CaseTransition",
    "CategorySupplement",
    "CpiReading",
    "DibaoCase",
    "DibaoStandard",
    "DistrictSetting",
    "ExpenditureDeclaration",
    "ExpenditureType",
    "IncomeDeclaration",
    "IncomeType",
    "Investigation",
    "NamedInvestigator",
    "Objection",
    "OutreachReport",
    "Payroll",
    "PayrollLine",
    "PayrollTransition",
    "PolicyParameter",
    "Programme",
    "ProgrammeCase",
    "ProgrammeTransition",
    "PropertyDeclaration",
    "PublicNotice",
    "SupplementCategory",
]
