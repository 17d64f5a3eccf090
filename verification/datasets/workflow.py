"""A dataset snapshot's process, declared once (core.workflow).

uploaded → validating → validated → approved → merged, or refused (by a data administrator, or
automatically above the invalid-row limit), or failed (a file that cannot be read). Datasets are
city-wide: only city-level data administrators upload, approve or refuse (the snapshot has no
region, so core.scope admits city-level users only).

Separation of duties: whoever uploaded a snapshot does not approve it — checked against its
whole history (the `upload` row names the uploader).
"""

from django.utils.translation import gettext_lazy

from core.models import Region, User
from core.workflow import Action, Workflow

from ..models import DatasetSnapshot, SnapshotTransition
from ..permissions import APPROVE_DATASET, IMPORT_DATASET

S = DatasetSnapshot.Status
CITY = (Region.Level.CITY,)

DATASET = Workflow(
    name="dataset_snapshot",
    model=DatasetSnapshot,
    statuses=S,
    history=SnapshotTransition,
    fk="snapshot",
    region_of=lambda s: None,
    region_path="uploaded_by",
    actions_list=[
        Action(
            "upload", gettext_lazy("upload the dataset"), (), permission=IMPORT_DATASET, levels=CITY
        ),
        # The worker; from "validating" too: a retry after a killed worker starts over.
        Action(
            "start_validation",
            gettext_lazy("start validation"),
            (S.UPLOADED, S.VALIDATING),
            S.VALIDATING,
            system=True,
        ),
        Action("validate", gettext_lazy("validate"), (S.VALIDATING,), S.VALIDATED, system=True),
        Action(
            "refuse_limit",
            gettext_lazy("refuse (too many invalid rows)"),
            (S.VALIDATING,),
            S.REFUSED,
            system=True,
        ),
        Action(
            "fail",
            gettext_lazy("fail (the file cannot be read)"),
            (S.UPLOADED, S.VALIDATING),
            S.FAILED,
            system=True,
        ),
        Action(
            "approve",
            gettext_lazy("approve"),
            (S.VALIDATED,),
            S.APPROVED,
            APPROVE_DATASET,
            levels=CITY,
            incompatible=("upload",),
        ),
        Action(
            "refuse",
            gettext_lazy("refuse"),
            (S.VALIDATED,),
            S.REFUSED,
            APPROVE_DATASET,
            levels=CITY,
            danger=True,
        ),
        Action("merge", gettext_lazy("merge"), (S.APPROVED,), S.MERGED, system=True),
        # The stage is unlogged: a database crash between approval and merge empties it. The
        # merge then sends the file back to validation (and to a new approval), never merging
        # fewer rows than were validated.
        Action(
            "restage",
            gettext_lazy("validate again (the staged rows were lost)"),
            (S.APPROVED,),
            S.UPLOADED,
            system=True,
        ),
    ],
)


def allowed_actions(snapshot: DatasetSnapshot, user: User) -> list[str]:
    """DATASET.allowed, reading who took part from the snapshot's prefetched history (a list
    of snapshots then costs no query per row)."""
    actors: dict[str, set[int]] = {}
    for t in snapshot.transitions.all():
        if t.by_id is not None:
            actors.setdefault(t.action, set()).add(t.by_id)
    candidates = [a for a in DATASET.actions_list if not a.system and snapshot.status in a.sources]
    return [a.name for a in candidates if DATASET.may(snapshot, a.name, user, actors=actors)]
