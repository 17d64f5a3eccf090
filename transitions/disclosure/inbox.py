"""Objections from the public in the caseworkers' inbox (assistance.oversight.inbox), plugged in
at TransitionsConfig.ready(): the inbox below never imports transitions."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assistance.oversight.inbox import InboxItem, Source, register_source
from core.models import User
from core.roles import Role
from core.scope import scope_queryset
from transitions.models import PublicObjection

from .permissions import ANSWER
from .workflow import OBJECTION

KIND = "public_objection"
LABEL = _("Objections to the public disclosure")


def q_public_objections(user: User, today: dt.date) -> QuerySet[PublicObjection]:
    # The open objections of lists in the user's area, for users of the level that answers.
    return scope_queryset(
        PublicObjection.objects.filter(OBJECTION.q_actionable("answer", user)),
        user,
        region_field="publication__region",
    ).select_related("publication__region")


def _item(o: PublicObjection, today: dt.date) -> InboxItem:
    row = o.row
    return InboxItem(
        kind=KIND,
        kind_label=str(LABEL),
        title=f"{o.publication.region.name} {row['name'] if row else ''}".strip(),
        detail=o.text[:80],
        deadline=o.due_on,
        since=o.received_at.date(),
        url=reverse("transitions:public_objection", args=[o.pk]),
        overdue=o.due_on < today,
    )


def register() -> None:
    register_source(
        Role.CASEWORKER, Source(KIND, ANSWER, q_public_objections, _item, ("due_on",)), LABEL
    )
