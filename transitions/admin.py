"""Approval policies are maintained here by data administrators: a policy in use by a hand-off
is never edited (a hand-off keeps the version it started with) — end its period and add one."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from assistance.admin import EffectiveDatedAdmin

from .models import ApprovalPolicy, FundBudget, MonitoringRule, TwoLineRule
from .policy import parse_incompatible, parse_stages


class ApprovalPolicyForm(forms.ModelForm):
    class Meta:
        model = ApprovalPolicy
        fields = [
            "kind",
            "valid_from",
            "valid_to",
            "stages",
            "incompatible_roles",
            "acknowledger_may_decide",
            "acknowledge_days",
            "decide_days",
            "source_document",
            "note",
        ]
        help_texts = {
            "stages": _(
                'In order, e.g. [{"role": "civil_affairs_reviewer", "level": "county", '
                '"approvals": "any"}]; approvals: "any", "all" or a number.'
            ),
            "incompatible_roles": _(
                'Pairs of roles, e.g. [["caseworker", "civil_affairs_reviewer"]].'
            ),
        }

    def clean_stages(self) -> Any:
        value = self.cleaned_data["stages"]
        try:
            parse_stages(value)
        except ValidationError as e:
            raise ValidationError(e.message_dict["stages"]) from e
        return value

    def clean_incompatible_roles(self) -> Any:
        value = self.cleaned_data["incompatible_roles"] or []
        try:
            parse_incompatible(value)
        except ValidationError as e:
            raise ValidationError(e.message_dict["incompatible_roles"]) from e
        return value


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(EffectiveDatedAdmin):
    form = ApprovalPolicyForm
    list_display = ["kind", "valid_from", "valid_to", "acknowledge_days", "decide_days"]
    list_filter = ["kind"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        fixed = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.handoffs.exists():
            # In use: only the end of its period may be set.
            fixed += [
                "kind",
                "valid_from",
                "stages",
                "incompatible_roles",
                "acknowledger_may_decide",
                "acknowledge_days",
                "decide_days",
            ]
        return fixed


@admin.register(TwoLineRule)
class TwoLineRuleAdmin(EffectiveDatedAdmin):
    list_display = ["valid_from", "valid_to", "standard_at_least_line", "urban_equals_rural"]


@admin.register(FundBudget)
class FundBudgetAdmin(EffectiveDatedAdmin):
    """The monthly budget per fund and district the supervision report sets payments against."""

    list_display = ["county", "fund", "monthly_amount", "valid_from", "valid_to"]
    list_filter = ["fund", "county"]


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(EffectiveDatedAdmin):
    """The return-to-poverty monitoring rules' thresholds and time limits."""

    list_display = [
        "kind",
        "threshold",
        "threshold_other",
        "lookback_days",
        "deadline_working_days",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["kind"]


from .registry_api import admin as registry_admin  # noqa: E402, F401
