"""The poverty register's policy data, kept by data administrators in the admin (each change
names who made it): the classification rule, the poverty line, the exit targets."""

from django.contrib import admin, messages
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from core.admin import ScopedAdminMixin
from core.models import is_overlap_violation
from poverty.models import ClassificationRule, ExitTarget, PovertyLine


class EffectiveDatedAdmin(admin.ModelAdmin):
    readonly_fields = ["updated_by", "updated_at"]
    date_hierarchy = "valid_from"

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        # clean() names a clash; a concurrent save that slipped past it is refused by the
        # exclusion constraint: say so instead of a server error.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as e:
            if not is_overlap_violation(e):
                raise
            self.message_user(
                request, _("This period overlaps another period of the same value."), messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # classifications record the rule they used: end a period instead


@admin.register(ClassificationRule)
class ClassificationRuleAdmin(EffectiveDatedAdmin):
    """Before changing the parameters: /poverty/classification/preview/ (the data
    administrator's home tile) shows how many households would change class."""

    list_display = [
        "valid_from", "valid_to", "min_age", "max_age", "capacities", "students_count",
        "source_document",
    ]  # fmt: skip


@admin.register(PovertyLine)
class PovertyLineAdmin(EffectiveDatedAdmin):
    list_display = ["valid_from", "valid_to", "yuan_per_year", "source_document", "note"]


@admin.register(ExitTarget)
class ExitTargetAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["year", "region", "households", "all_remaining", "source_document"]
    list_filter = ["year"]
    list_select_related = ["region"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
