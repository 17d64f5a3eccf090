import pytest

from households.selectors import household_list

from ..factories import household_with_members

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("suffix_len", [6, 8])
def test_search_by_id_suffix_ending_in_x(cw_baisha, village_a, suffix_len):
    from households.models import Person

    from ..factories import unique_id_number

    h = household_with_members(village_a, members=1)
    person = h.memberships.get().person
    # Find a number whose check character is X and give it to the head.
    number = next(n for n in (unique_id_number() for _ in range(200)) if n.endswith("X"))
    Person.objects.filter(pk=person.pk).update(id_number=number)
    found = household_list(user=cw_baisha, q=number[-suffix_len:].lower())
    assert [x.pk for x in found] == [h.pk]
