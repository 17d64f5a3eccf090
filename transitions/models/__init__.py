"""The linkage layer's models, one module per sub-package: the hand-offs and the phase-out
(handoffs.py); exchange, reconciliation, the registry API, disclosure and supervision add
theirs beside it (issue 10). One app label, one migrations folder."""

from .disclosure import (
    Publication,
    PublicationTransition,
    PublicObjection,
    PublicObjectionTransition,
)
from .exchange import ExchangeBatch, ExchangeBatchFile, ExchangeBatchTransition
from .handoffs import (
    ApprovalPolicy,
    Department,
    EnrolmentImport,
    Handoff,
    HandoffDecision,
    HandoffKind,
    HandoffTransition,
    InsuranceEnrolment,
    PhaseOut,
    PhaseOutTransition,
    TwoLineRule,
    _answer_upload_to,  # noqa: F401 - named by migration 0004
)
from .reconciliation import (
    Difference,
    DifferenceTransition,
    InboundBatch,
    InboundBatchTransition,
    InboundResult,
    InboundRow,
    InboundRowError,
    ReconciliationRun,
)
from .registry_api import (
    RegistryCall,
    RegistryClient,
    RegistryDelivery,
    RegistryNotification,
    RegistrySubscription,
    RegistryTransaction,
)
from .supervision import (
    Fund,
    FundBudget,
    MonitoringCase,
    MonitoringCaseTransition,
    MonitoringRule,
)
from .whatif import WhatIfDistrict, WhatIfScenario, WhatIfTransition

__all__ = [
    "ApprovalPolicy",
    "Department",
    "Difference",
    "DifferenceTransition",
    "EnrolmentImport",
    "ExchangeBatch",
    "ExchangeBatchFile",
    "ExchangeBatchTransition",
    "Fund",
    "FundBudget",
    "Handoff",
    "HandoffDecision",
    "HandoffKind",
    "HandoffTransition",
    "InboundBatch",
    "InboundBatchTransition",
    "InboundResult",
    "InboundRow",
    "InboundRowError",
    "InsuranceEnrolment",
    "MonitoringCase",
    "MonitoringCaseTransition",
    "MonitoringRule",
    "PhaseOut",
    "PhaseOutTransition",
    "PublicObjection",
    "PublicObjectionTransition",
    "Publication",
    "PublicationTransition",
    "ReconciliationRun",
    "RegistryCall",
    "RegistryClient",
    "RegistryDelivery",
    "RegistryNotification",
    "RegistrySubscription",
    "RegistryTransaction",
    "TwoLineRule",
    "WhatIfDistrict",
    "WhatIfScenario",
    "WhatIfTransition",
]
