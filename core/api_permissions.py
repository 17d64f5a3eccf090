"""DRF permission shared by every app (kept apart from core.api to avoid an import cycle
with rest_framework.views)."""

from rest_framework import permissions


class RolePermission(permissions.DjangoModelPermissions):
    """Deny by default. Reads need the model's view permission, writes the add/change/delete
    one, all from the role table (core.roles). Views without a queryset must name
    `required_perms` explicitly."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        if not request.user or not request.user.is_authenticated:
            return False
        explicit = getattr(view, "required_perms", None)
        if explicit is not None:
            return request.user.has_perms(explicit)
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return False
        return super().has_permission(request, view)

    def _queryset(self, view):  # type: ignore[no-untyped-def]
        # Only the model matters here. Viewsets name it with `queryset = Model.objects.none()`
        # and build their rows in get_queryset (selectors): don't run those just to read the model.
        queryset = getattr(view, "queryset", None)
        if queryset is not None:
            return queryset
        return super()._queryset(view)
