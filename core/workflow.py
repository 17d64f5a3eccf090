"""One declaration per process, read by everything that touches its statuses.

A process (dibao case, programme case, payroll, and later hand-offs, exits, findings, imports)
declares in its `workflow.py` its statuses and, for every action: the statuses it may start from,
the status it leads to, the permission, the region levels whose users may act, and the actions
whose actors may not take this one (separation of duties, checked against the object's whole
history). From that one object:

- services call `lock()` then `check()` (wrong status → ValidationError code "wrong_status", which
  the API turns into 409; anything else the user may not do → PermissionDenied), then `move()`,
  which writes the history row in the same transaction;
- pages draw their buttons from `allowed()`, the API lists the same in `allowed_actions`;
- inboxes filter with `q_actionable()`;
- bulk changes (the payroll activating confirmed cases) use `bulk_move()`: one statement that moves
  every row still in a source status and writes one history row per object;
- tests generate the transition matrix from `actions`.

Modelled on Data Hub's `OrderInStatusSubValidator`: the allowed statuses are data, not code spread
over views.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models
from django.db.models import Q, TextChoices
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .models import Region, User
from .scope import region_in_scope

M = TypeVar("M", bound=models.Model)

# A rule an action adds beyond status, permission, level and history (e.g. "the district has
# delegated confirmation to townships"): raises PermissionDenied with the reason, else returns.
Rule = Callable[[Any, User], None]


def has_any_perm(user: User, perms: str | tuple[str, ...]) -> bool:
    """The one "any of these permissions" check."""
    return any(user.has_perm(p) for p in ((perms,) if isinstance(perms, str) else perms))


@dataclass(frozen=True)
class Action:
    name: str
    label: str | Promise
    sources: tuple[str, ...]
    # The status the action leads to; None for a recorded step that keeps the status
    # (declarations entered, investigation recorded): it still writes a history row, because
    # separation of duties asks who did it.
    target: str | None = None
    # The permission, or several of which any one will do (e.g. caseworker or decider).
    permission: str | tuple[str, ...] = ""
    # Region levels whose users may take the action; empty = any level (scope still applies).
    levels: tuple[str, ...] = ()
    # Separation of duties: whoever took any of these actions on the object may not take this one.
    incompatible: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    # Where the service chooses the target from the input (a review's outcome): the choices.
    outcomes: tuple[str, ...] = ()
    # Taken by the system (scheduled jobs, payroll build): no user permission applies.
    system: bool = False
    danger: bool = False


@dataclass
class Workflow(Generic[M]):
    """The declaration of one process. `history` is the concrete `core.models.TransitionBase`
    subclass, `fk` its foreign key to the object; `region_of` gives the object's region (scope)."""

    name: str
    model: type[M]
    statuses: type[TextChoices]
    actions_list: Sequence[Action]
    history: type[models.Model]
    fk: str
    region_of: Callable[[M], Region | None]
    region_path: str  # ORM path from the object to its region, for select_related
    # Who else counts as having taken an action besides the history's `by` (e.g. the
    # investigators named on a home visit): object → {action: user ids}.
    extra_actors: Callable[[M], dict[str, set[int]]] | None = None
    # The same for queries (inboxes): user → {action: queryset of object ids}.
    extra_took_part: Callable[[User], dict[str, models.QuerySet[Any]]] | None = None
    actions: dict[str, Action] = field(init=False)

    def __post_init__(self) -> None:
        self.actions = {a.name: a for a in self.actions_list}
        values = set(self.statuses.values)
        for a in self.actions_list:
            unknown = (
                set(a.sources) | set(a.outcomes) | ({a.target} if a.target else set())
            ) - values
            assert not unknown, f"{self.name}.{a.name}: unknown statuses {unknown}"
            assert set(a.incompatible) <= set(self.actions), f"{self.name}.{a.name}"

    def __getitem__(self, name: str) -> Action:
        return self.actions[name]

    # ------------------------------------------------------------------ reads

    def actors(self, obj: M) -> dict[str, set[int]]:
        """Every action taken on the object and by whom, from its whole history."""
        done: dict[str, set[int]] = {}
        rows = self.history.objects.filter(**{self.fk: obj}).values_list("action", "by_id")  # type: ignore[attr-defined]
        for action, by_id in rows:
            if by_id is not None:
                done.setdefault(action, set()).add(by_id)
        if self.extra_actors:
            for action, ids in self.extra_actors(obj).items():
                done.setdefault(action, set()).update(ids)
        return done

    def check(
        self, obj: M, name: str, user: User | None, *, actors: dict[str, set[int]] | None = None
    ) -> None:
        """Raise if `user` may not take action `name` on `obj` now; the one guard."""
        action = self.actions[name]
        status = getattr(obj, "status")  # noqa: B009 - every process model has a status
        # An action without sources creates the object: no status to check.
        if action.sources and status not in action.sources:
            raise ValidationError(
                _(
                    "Cannot %(action)s: it is now “%(status)s” (allowed from: %(allowed)s). "
                    "Someone may have acted on it already; reload the page."
                )
                % {
                    "action": action.label,
                    "status": self.statuses(status).label,
                    "allowed": "、".join(str(self.statuses(s).label) for s in action.sources),
                },
                code="wrong_status",
            )
        # Status first: whoever acts on a page that has gone stale learns that (409), whatever
        # their role; then the permission and everything else.
        if not action.system and (user is None or not has_any_perm(user, action.permission)):
            raise PermissionDenied(_("Your role does not allow this action."))
        if user is None or action.system:
            return
        if not region_in_scope(user, self.region_of(obj)):
            raise PermissionDenied(_("This region is outside your area of responsibility."))
        if action.levels and not user.is_superuser:
            level = user.region.level if user.region else ""
            if level not in action.levels:
                raise PermissionDenied(
                    _("“%(action)s” is for users at the %(levels)s level.")
                    % {
                        "action": action.label,
                        "levels": "、".join(str(Region.Level(v).label) for v in action.levels),
                    }
                )
        for rule in action.rules:
            rule(obj, user)
        if action.incompatible:
            done = self.actors(obj) if actors is None else actors
            for earlier in action.incompatible:
                if user.pk in done.get(earlier, set()):
                    raise PermissionDenied(
                        _(
                            "You took part in “%(earlier)s” on this one: another person must "
                            "“%(action)s” (separation of duties)."
                        )
                        % {"earlier": self.actions[earlier].label, "action": action.label}
                    )

    def may(self, obj: M, name: str, user: User, **kw: Any) -> bool:
        try:
            self.check(obj, name, user, **kw)
        except (PermissionDenied, ValidationError):
            return False
        return True

    def allowed(self, obj: M, user: User) -> list[str]:
        """The actions `user` may take on `obj` now, in declaration order (buttons, API)."""
        candidates = [
            a
            for a in self.actions_list
            if not a.system
            and getattr(obj, "status") in a.sources  # noqa: B009
            and has_any_perm(user, a.permission)
        ]
        if not candidates:
            return []
        actors = self.actors(obj) if any(a.incompatible for a in candidates) else {}
        return [a.name for a in candidates if self.may(obj, a.name, user, actors=actors)]

    def q_actionable(self, name: str, user: User) -> Q:
        """The objects on which `user` may take action `name` as far as status and separation of
        duties go (scope is the selector's): for inbox queries and counts."""
        action = self.actions[name]
        q = Q(status__in=action.sources)
        level = user.region.level if user.region else ""
        if action.levels and not user.is_superuser and level not in action.levels:
            return Q(pk__in=[])  # nothing: not this user's level
        if action.incompatible:
            took_part = self.history.objects.filter(  # type: ignore[attr-defined]
                by=user, action__in=action.incompatible
            ).values(f"{self.fk}_id")
            q &= ~Q(pk__in=took_part)
            extra = self.extra_took_part(user) if self.extra_took_part else {}
            for earlier, ids in extra.items():
                if earlier in action.incompatible:
                    q &= ~Q(pk__in=ids)
        return q

    def statuses_for(self, *names: str) -> tuple[str, ...]:
        """The source statuses of these actions together (a list filter, an inbox)."""
        out: list[str] = []
        for n in names:
            out += [s for s in self.actions[n].sources if s not in out]
        return tuple(out)

    # ------------------------------------------------------------------ writes

    def lock(self, obj: M, by: User | None) -> M:
        """The object again, row-locked for the rest of the transaction; scope checked."""
        locked = (
            self.model._default_manager.select_for_update(of=("self",))
            .select_related(self.region_path)
            .get(pk=obj.pk)
        )
        if by is not None and not region_in_scope(by, self.region_of(locked)):
            raise PermissionDenied(_("This region is outside your area of responsibility."))
        return locked

    def move(
        self,
        obj: M,
        name: str,
        by: User | None,
        why: str | Promise = "",
        /,
        *,
        to: str | None = None,
        **fields: Any,
    ) -> M:
        """Apply the action's target status (or `to`, one of its declared outcomes) and `fields`,
        save, and write the history row."""
        action = self.actions[name]
        assert to is None or to in action.outcomes, f"{self.name}.{name}: {to} is not an outcome"
        old = "" if not action.sources else getattr(obj, "status")  # noqa: B009
        for k, v in fields.items():
            setattr(obj, k, v)
        if to or action.target:
            obj.status = to or action.target  # type: ignore[attr-defined]
        obj.save()
        self.history.objects.create(  # type: ignore[attr-defined]
            **{self.fk: obj},
            action=name,
            from_status=old,
            to_status=getattr(obj, "status"),  # noqa: B009
            by=by,
            reason=str(why),
        )
        return obj

    def bulk_move(
        self, ids_sql: str, params: Iterable[Any], name: str, *, by: User | None, reason: str
    ) -> int:
        """Move every object whose id `ids_sql` selects and that is still in a source status, and
        write one history row for each: one statement, however many rows. Only for system actions
        (no per-object permission or separation of duties to check); `by` is the user whose
        action caused it, if any. Returns the rows moved."""
        action = self.actions[name]
        assert action.system and action.target, f"{self.name}.{name} is not a bulk system action"
        assert not action.rules, f"{self.name}.{name}: rules cannot be checked set-based"
        by_id = by.pk if by is not None else None
        table = self.model._meta.db_table
        hist = self.history._meta.db_table
        fk_col = self.history._meta.get_field(self.fk).column  # type: ignore[union-attr]
        # The same clock as the rows Django writes (PostgreSQL's now() is the transaction's start).
        at = timezone.now()
        touch = ", updated_at = %s" if hasattr(self.model, "updated_at") else ""
        sql = f"""
            WITH src AS (
                SELECT o.id, o.status FROM {table} o
                WHERE o.id IN ({ids_sql}) AND o.status = ANY(%s)
                FOR UPDATE OF o
            ), moved AS (
                UPDATE {table} t SET status = %s{touch} FROM src WHERE t.id = src.id
                RETURNING t.id, src.status AS old
            )
            INSERT INTO {hist} ({fk_col}, action, from_status, to_status, by_id, at, reason)
            SELECT id, %s, old, %s, %s, %s, %s FROM moved
        """  # noqa: S608 - identifiers come from model metadata, values are parameters
        with connection.cursor() as cur:
            cur.execute(
                sql,
                [
                    *params,
                    list(action.sources),
                    action.target,
                    *([at] if touch else []),
                    name,
                    action.target,
                    by_id,
                    at,
                    reason,
                ],
            )
            return cur.rowcount
