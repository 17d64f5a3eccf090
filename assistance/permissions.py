"""The assistance app's permission names ("app_label.codename"), in one place."""

from core.roles import (
    APPROVE_PAYROLL,
    BUILD_PAYROLL,
    CONFIRM_DIBAO,
    DECIDE_PROGRAMME,
    REPORT_OUTREACH,
)

ADD = "assistance.add_dibaocase"
CHANGE = "assistance.change_dibaocase"
PROPOSE = "assistance.propose_dibaocase"
CONFIRM = CONFIRM_DIBAO
APPLY_PROGRAMME = "assistance.add_programmecase"
CHANGE_PROGRAMME = "assistance.change_programmecase"
CHANGE_OUTREACH = "assistance.change_outreachreport"

__all__ = [
    "ADD",
    "APPLY_PROGRAMME",
    "APPROVE_PAYROLL",
    "BUILD_PAYROLL",
    "CHANGE",
    "CHANGE_OUTREACH",
    "CHANGE_PROGRAMME",
    "CONFIRM",
    "DECIDE_PROGRAMME",
    "PROPOSE",
    "REPORT_OUTREACH",
]
