"""verification's policy data, kept by data administrators in the admin (each change names who
made it): the invalid-row limit of imports, the cross-check rules, the poverty score weights and
the sampling audit's defaults. Snapshots, runs, findings and audits have their own pages."""

from django.contrib import admin

from poverty.admin import EffectiveDatedAdmin

from .models import AuditPolicy, CrossCheckRule, ImportLimit, ScoreWeights


@admin.register(ImportLimit)
class ImportLimitAdmin(EffectiveDatedAdmin):
    list_display = ["valid_from", "valid_to", "max_invalid_percent", "source_document"]


@admin.register(ScoreWeights)
class ScoreWeightsAdmin(EffectiveDatedAdmin):
    """A change is a new version from a date: scores keep naming the version they used."""

    list_display = [
        "version", "valid_from", "valid_to", "income_weight", "property_weight",
        "expenditure_weight", "source_document",
    ]  # fmt: skip


@admin.register(AuditPolicy)
class AuditPolicyAdmin(EffectiveDatedAdmin):
    list_display = [
        "valid_from", "valid_to", "sample_percent", "max_inclusion_percent",
        "max_exclusion_percent", "max_exit_percent", "source_document",
    ]  # fmt: skip


@admin.register(CrossCheckRule)
class CrossCheckRuleAdmin(EffectiveDatedAdmin):
    """A rule's new parameters are a new period from a date: every run names the rule versions
    it used, so earlier findings stay explained."""

    list_display = [
        "code", "kind", "category", "waivable", "valid_from", "valid_to", "source_document",
    ]  # fmt: skip
    list_filter = ["kind", "category"]
    search_fields = ["code", "label"]
