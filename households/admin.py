from django.contrib import admin
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ScopedAdminMixin

from .models import Household, Membership, Person, SeriousIllness


@admin.register(SeriousIllness)
class SeriousIllnessAdmin(admin.ModelAdmin):
    list_display = ["name", "active"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["person", "relation", "start_date", "end_date", "end_reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Household)
class HouseholdAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["id", "village", "address", "hukou_type", "created_at"]
    list_select_related = ["village"]
    search_fields = ["address", "village__name"]
    list_filter = ["hukou_type"]
    raw_id_fields = ["village"]
    inlines = [MembershipInline]
    scope_region_field = "village"

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Person)
class PersonAdmin(ScopedAdminMixin, ImportExportMixin, SimpleHistoryAdmin):
    list_display = ["id", "name", "sex", "birth_date", "region"]
    list_select_related = ["region"]
    search_fields = ["name", "=id_number"]
    scope_region_field = "region"

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
