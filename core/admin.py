"""Admin, scoped like everything else: querysets through core.scope, permissions from roles."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AccessLog, Region, User
from .scope import scope_queryset, visible_regions

admin.site.site_header = _("Xianjie administration")
admin.site.site_title = _("Xianjie")


class ScopedAdminMixin:
    """Limit an admin's rows to the user's region subtree via `scope_region_field`."""

    scope_region_field = "region"

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        qs = super().get_queryset(request)  # type: ignore[misc]
        return scope_queryset(qs, request.user, region_field=self.scope_region_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.related_model is Region:
            kwargs["queryset"] = visible_regions(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


@admin.register(Region)
class RegionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "level", "parent", "area_class"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    scope_region_field = "pk"
    readonly_fields = ["level", "path"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # regions are referenced by history; retire them instead


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "region", "is_active"]
    list_filter = ["role", "is_active"]
    list_select_related = ["region"]
    search_fields = ["username", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "email", "phone")}),
        (_("Role and region"), {"fields": ("role", "region", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "password1", "password2", "role", "region")}),)
    readonly_fields = ["last_login", "date_joined"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # deactivate instead: users are named in the audit trail


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action"]
    list_select_related = ["user"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return scope_queryset(
            super().get_queryset(request), request.user, region_field="user__region"
        )

    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return request.user.has_perm("core.view_user")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
