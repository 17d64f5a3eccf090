from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .roles import PERMISSIONS


class RoleBackend(ModelBackend):
    """Authenticate with username/password; permissions come from the user's role only.

    Django's per-user and per-group permission tables are not consulted: the role table in
    core.roles is the single source, so a permission cannot be granted by accident in the admin.
    """

    def get_user(self, user_id):  # type: ignore[no-untyped-def]
        """The session's user with their region (every page scopes by it): one query, not two."""
        UserModel = get_user_model()
        try:
            user = UserModel._default_manager.select_related("region").get(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):  # type: ignore[no-untyped-def]
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(PERMISSIONS.get(user_obj.role, frozenset()))

    def get_user_permissions(self, user_obj, obj=None):  # type: ignore[no-untyped-def]
        return self.get_all_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj, obj=None):  # type: ignore[no-untyped-def]
        return set()

    def has_perm(self, user_obj, perm, obj=None):  # type: ignore[no-untyped-def]
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):  # type: ignore[no-untyped-def]
        return any(p.startswith(app_label + ".") for p in self.get_all_permissions(user_obj))
