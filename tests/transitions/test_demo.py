"""seed_demo_linkage: hand-offs waiting in the demo's inboxes, once."""

from transitions.demo import seed_demo_linkage
from transitions.models import Handoff


def test_demo_opens_referrals_for_key_targets_once(confirmed_case, settings):
    Handoff.objects.all().delete()  # as in a demo database seeded before the receivers
    assert seed_demo_linkage() == 1
    assert Handoff.objects.get().kind == "registration_referral"
    assert seed_demo_linkage() == 0
