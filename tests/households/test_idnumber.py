import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from households.idnumber import check_character, parse_id_number


@pytest.mark.parametrize(
    ("number", "birth", "sex"),
    [
        ("11010519491231002X", dt.date(1949, 12, 31), "F"),
        ("440524188001010014", dt.date(1880, 1, 1), "M"),
        ("11010519491231002x", dt.date(1949, 12, 31), "F"),  # lower-case x normalised
        (" 11010519491231002X ", dt.date(1949, 12, 31), "F"),
    ],
)
def test_valid_numbers_give_birth_date_and_sex(number: str, birth: dt.date, sex: str) -> None:
    facts = parse_id_number(number, today=dt.date(2026, 11, 28))
    assert facts.number == number.strip().upper()
    assert facts.birth_date == birth
    assert facts.sex == sex


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "check_digit"),
        ("440524188001010015", "check_digit"),
        ("4405241880010100", "length"),
        ("44052418800101001A", "characters"),
        ("440524190002300012", "birth_date"),  # 30 February
    ],
)
def test_invalid_numbers_are_refused_with_reason(number: str, code: str) -> None:
    with pytest.raises(ValidationError) as e:
        parse_id_number(number, today=dt.date(2026, 11, 28))
    assert e.value.code == code


def test_future_birth_date_is_refused() -> None:
    first17 = "44070320300101001"
    number = first17 + check_character(first17)
    with pytest.raises(ValidationError) as e:
        parse_id_number(number, today=dt.date(2026, 11, 28))
    assert e.value.code == "future_birth_date"


def test_wrong_check_digit_message_names_the_right_one() -> None:
    with pytest.raises(ValidationError) as e:
        parse_id_number("110105194912310021")
    assert "X" in e.value.messages[0]
