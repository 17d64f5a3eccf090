"""Admin, scoped like everything else: querysets through core.scope, permissions from roles."""

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken import admin as authtoken_admin
from rest_framework.authtoken.models import TokenProxy

from .models import AccessLog, Region, User
from .scope import is_city_level, scope_queryset, visible_regions

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


# --- sign-in security: unlocking log-ins and revoking API tokens (data administrators) --------


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """django-axes' failed log-ins; deleting a row unlocks that user name / address. A district
    administrator sees the attempts on its own users only; city level sees all (also unknown
    user names, and so can lift a lock on an address)."""

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        qs = super().get_queryset(request)
        if is_city_level(request.user):
            return qs
        usernames = scope_queryset(User.objects.all(), request.user, region_field="region")
        return qs.filter(username__in=usernames.values("username"))


admin.site.register(AccessAttempt, AccessAttemptAdmin)


class TokenAdmin(authtoken_admin.TokenAdmin):
    """API tokens, scoped by their user's region; deleting one revokes it."""

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return scope_queryset(
            super().get_queryset(request), request.user, region_field="user__region"
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "user":
            kwargs["queryset"] = scope_queryset(
                User.objects.all(), request.user, region_field="region"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.unregister(TokenProxy)
admin.site.register(TokenProxy, TokenAdmin)
