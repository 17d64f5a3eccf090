"""The disclosure's processes, declared once (core.workflow): a published version is taken
down (with a reason); an objection from the public is answered."""

from django.utils.translation import gettext_lazy

from core.models import Region
from core.workflow import Action, Workflow
from transitions.models import (
    Publication,
    PublicationTransition,
    PublicObjection,
    PublicObjectionTransition,
)

from .permissions import ANSWER, PUBLISH

P = Publication.Status
O = PublicObjection.Status  # noqa: E741

PUBLICATION = Workflow(
    name="publication",
    model=Publication,
    statuses=P,
    history=PublicationTransition,
    fk="publication",
    region_of=lambda p: p.region,
    region_path="region",
    actions_list=[
        Action(
            "publish",
            gettext_lazy("publish"),
            (),
            permission=PUBLISH,
            levels=(Region.Level.TOWNSHIP, Region.Level.COUNTY),
        ),
        Action("republish", gettext_lazy("publish"), (), system=True),
        Action(
            "take_down",
            gettext_lazy("take down"),
            (P.PUBLISHED,),
            P.TAKEN_DOWN,
            PUBLISH,
            levels=(Region.Level.TOWNSHIP, Region.Level.COUNTY),
            danger=True,
        ),
    ],
)

OBJECTION = Workflow(
    name="public_objection",
    model=PublicObjection,
    statuses=O,
    history=PublicObjectionTransition,
    fk="objection",
    region_of=lambda o: o.publication.region,
    region_path="publication__region",
    actions_list=[
        # Filed by someone of the public: no user.
        Action("file", gettext_lazy("file an objection"), (), system=True),
        Action(
            "answer",
            gettext_lazy("record the outcome"),
            (O.OPEN,),
            O.ANSWERED,
            ANSWER,
            levels=(Region.Level.TOWNSHIP,),
        ),
    ],
)
