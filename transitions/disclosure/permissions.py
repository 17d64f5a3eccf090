"""The disclosure's permission names, granted to roles at import (TransitionsConfig.ready).

Publishing and taking down a list is for the caseworkers and civil-affairs reviewers of the
region; answering an objection is casework, for the caseworkers of the town.
"""

from core.roles import Role, grant

VIEW = "transitions.view_publication"
PUBLISH = "transitions.add_publication"
VIEW_OBJECTION = "transitions.view_publicobjection"
ANSWER = "transitions.change_publicobjection"

grant((Role.CASEWORKER, Role.CIVIL_AFFAIRS_REVIEWER), VIEW, PUBLISH, VIEW_OBJECTION)
grant(Role.CASEWORKER, ANSWER)
