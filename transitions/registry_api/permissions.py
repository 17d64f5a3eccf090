"""Who manages registry clients: the city's data administrators (in the admin, at city level:
a client's grant spans districts, so no district user manages one); the supervisor reads the
calls log."""

from core.roles import Role, grant

MANAGE = (
    "transitions.view_registryclient",
    "transitions.add_registryclient",
    "transitions.change_registryclient",
)
VIEW_CALLS = "transitions.view_registrycall"

grant(Role.DATA_ADMIN, *MANAGE, VIEW_CALLS, "transitions.view_registrysubscription")
grant(Role.SUPERVISOR, VIEW_CALLS)
