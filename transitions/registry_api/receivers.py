"""Changes the registry tells subscribers about, heard from the lower layers' rows as they are
saved (inside the writing service's transaction: a rolled-back change queues nothing; delivery
runs after the commit). Rows written in bulk (imports) send no signal and notify nobody."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from assistance.models import CaseTransition
from households.models import Membership
from transitions.models import RegistrySubscription

from .services import anyone_subscribed, notifications_queue

EV = RegistrySubscription.Event


@receiver(post_save, sender=CaseTransition, dispatch_uid="registry_api.case_transition")
def on_case_transition(sender: Any, instance: CaseTransition, created: bool, **kwargs: Any) -> None:
    if not created or instance.from_status == instance.to_status:
        return
    if not anyone_subscribed(EV.DIBAO_STATUS):
        return
    household = instance.case.household
    notifications_queue(
        event_type=EV.DIBAO_STATUS,
        village=household.village,
        record={
            "household_id": household.pk,
            "region_code": household.village.code,
            "dibao_status": instance.to_status,
            "previous_dibao_status": instance.from_status,
        },
    )


@receiver(post_save, sender=Membership, dispatch_uid="registry_api.membership")
def on_membership(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if created:
        change, on = "joined", instance.start_date
    elif instance.end_date is not None and (update_fields is None or "end_date" in update_fields):
        change, on = "left", instance.end_date
    else:
        return
    if not anyone_subscribed(EV.MEMBERSHIP):
        return
    household = instance.household
    notifications_queue(
        event_type=EV.MEMBERSHIP,
        village=household.village,
        record={
            "person_id": instance.person_id,
            "household_id": household.pk,
            "region_code": household.village.code,
            "relation": instance.relation,
            "change": change,
            "on": on.isoformat(),
        },
    )
