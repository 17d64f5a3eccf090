"""Policy data is maintained here by data administrators (each change names who made it)."""

from django.contrib import admin, messages
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from assistance.models import (
    CategorySupplement,
    CpiReading,
    DibaoStandard,
    DistrictSetting,
    ExpenditureType,
    IncomeType,
    PolicyParameter,
    TownNoticeContact,
)
from core.admin import ScopedAdminMixin
from core.models import CalendarOverride, is_overlap_violation


class EffectiveDatedAdmin(admin.ModelAdmin):
    readonly_fields = ["updated_by", "updated_at"]
    date_hierarchy = "valid_from"

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        # The form's clean() names a clash; a concurrent save that slipped past it is refused by
        # the exclusion constraint: say so instead of a server error (the form is rolled back).
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as e:
            if not is_overlap_violation(e):
                raise
            self.message_user(
                request,
                _("This period overlaps another period of the same value."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # decisions record which policy they used: end a period instead


@admin.register(DibaoStandard)
class DibaoStandardAdmin(ScopedAdminMixin, EffectiveDatedAdmin):
    list_display = [
        "county",
        "valid_from",
        "valid_to",
        "urban",
        "rural",
        "interpolated",
        "source_document",
    ]
    list_filter = ["county", "interpolated"]
    list_select_related = ["county"]
    scope_region_field = "county"


@admin.register(CategorySupplement)
class CategorySupplementAdmin(EffectiveDatedAdmin):
    list_display = ["category", "percent", "valid_from", "valid_to"]


@admin.register(PolicyParameter)
class PolicyParameterAdmin(EffectiveDatedAdmin):
    list_display = ["key", "value", "valid_from", "valid_to", "source_document"]
    list_filter = ["key"]


@admin.register(IncomeType)
class IncomeTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "counted", "unstable"]
    list_filter = ["counted", "unstable"]


@admin.register(ExpenditureType)
class ExpenditureTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "deductible"]


@admin.register(CpiReading)
class CpiReadingAdmin(admin.ModelAdmin):
    list_display = ["month", "yoy_percent"]


@admin.register(DistrictSetting)
class DistrictSettingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["county", "confirmation_delegated", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]
    scope_region_field = "county"

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        # The form's clean() names a clash; a concurrent save that slipped past it is refused by
        # the exclusion constraint: say so instead of a server error (the form is rolled back).
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as e:
            if not is_overlap_violation(e):
                raise
            self.message_user(
                request,
                _("This period overlaps another period of the same value."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())


@admin.register(TownNoticeContact)
class TownNoticeContactAdmin(ScopedAdminMixin, EffectiveDatedAdmin):
    """A town's supervision phone and letters-and-visits address for its public notices: a
    change is a new period (end the old one), so earlier notices keep what they printed."""

    list_display = [
        "township",
        "supervision_phone",
        "letters_address",
        "valid_from",
        "valid_to",
        "updated_by",
    ]
    list_select_related = ["township", "updated_by"]
    search_fields = ["township__name", "township__code"]
    scope_region_field = "township"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "township":
            field.queryset = field.queryset.filter(level="township").order_by("code")
        return field


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working_day", "note"]
