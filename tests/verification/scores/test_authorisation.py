"""No authorisation, no check: the departments' records count in the poverty score only for a
household whose case carries the applicant's signed data-check authorisation."""

from decimal import Decimal

from verification.scores import services

from .conftest import ON, record, snapshot


def test_records_are_ignored_without_the_signed_authorisation(scored, cw_baisha, data_admin):  # type: ignore[no-untyped-def]
    household, case = scored
    head = household.memberships.order_by("id").first().person
    bank = snapshot("bank_deposit", by=data_admin)
    record("bank_deposit", bank, head.id_number, bank="建行", balance=Decimal("900000"))
    signed = services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    assert Decimal(signed.factors["property"]["deposits"]) >= 900000  # recorded > declared

    case.authorization_signed_on = None
    case.save(update_fields=["authorization_signed_on"])
    unsigned = services.household_score_compute(household=household, case=case, on=ON, by=cw_baisha)
    assert unsigned.factors["property"]["deposits"] == "21936.00"  # the declaration only
    assert unsigned.factors["snapshots"] == {}
    assert unsigned.score > signed.score  # poorer on the declarations alone
