"""Personas and builders for the hand-off and phase-out tests."""

import pytest

from assistance.models import DibaoCase
from core.roles import Role
from households.models import Household
from transitions import services
from transitions.models import ApprovalPolicy, Handoff

from ..assistance.conftest import CONFIRM_ON, build_confirmed, on_day  # noqa: F401
from ..factories import UserFactory, region


@pytest.fixture(autouse=True)
def _english_ui(settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def ss_pengjiang(db):  # type: ignore[no-untyped-def]
    return UserFactory(
        username="ss_pengjiang", role=Role.SOCIAL_SECURITY_OFFICER, region=region("440703")
    )


@pytest.fixture
def supervisor(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="supervisor", role=Role.SUPERVISOR, region=region("440700"))


@pytest.fixture
def confirmed_case(cw_baisha, cw_baisha_2, ca_pengjiang, village_a) -> DibaoCase:  # type: ignore[no-untyped-def]
    """A confirmed case of 白沙 (蓬江区), confirmed 2026-11-13, paid from 2026-12."""
    return build_confirmed(village_a, maker=cw_baisha, second=cw_baisha_2, checker=ca_pengjiang)


def set_policy(kind: str, **fields) -> ApprovalPolicy:  # type: ignore[no-untyped-def]
    """Change the policy in force for `kind` (tests of policies)."""
    policy = ApprovalPolicy.objects.get(kind=kind, valid_to__isnull=True)
    for k, v in fields.items():
        setattr(policy, k, v)
    policy.save()
    return policy


def referral(household: Household, by) -> Handoff:  # type: ignore[no-untyped-def]
    return services.handoff_open(
        kind="registration_referral", household=household, by=by, reason="有劳动能力，愿意帮扶"
    )
