"""Check characters of resident ID numbers (GB 11643) and unified social credit codes (GB 32100)."""

from __future__ import annotations

import pytest

from contracts.catalog.identifiers import (
    CREDIT_CODE_ALPHABET,
    InvalidIdentifier,
    check_credit_code,
    check_mobile,
    check_resident_id,
    credit_code_check_char,
    resident_id_check_char,
)

PUBLISHED_RESIDENT_IDS = ["11010519491231002X", "440524188001010014"]
PUBLISHED_CREDIT_CODES = ["91350100M000100Y43", "914403001922038216", "9144030071526726XG"]
COMPUTED_RESIDENT_IDS = ["330106199003071236", "330102199208152421", "330127199502110668"]
COMPUTED_CREDIT_CODES = ["91330106MA2H3K7P1E", "91330105MA27Y8UJ4D"]


@pytest.mark.parametrize("number", PUBLISHED_RESIDENT_IDS + COMPUTED_RESIDENT_IDS)
def test_valid_resident_ids_pass(number: str) -> None:
    check_resident_id(number)
    assert resident_id_check_char(number[:17]) == number[17]


@pytest.mark.parametrize("number", PUBLISHED_RESIDENT_IDS + COMPUTED_RESIDENT_IDS)
def test_any_single_digit_change_in_a_resident_id_is_caught(number: str) -> None:
    for position in range(17):
        for digit in "0123456789":
            if digit != number[position]:
                altered = number[:position] + digit + number[position + 1 :]
                with pytest.raises(InvalidIdentifier):
                    check_resident_id(altered)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "校验位错误 / check digit does not match"),
        ("11010519491231002x", "the 18th character must be a digit or X"),
        ("11010519491331002X", "the birth date is not a calendar date"),
        ("11010529491231002X", "the birth date is out of range"),
        ("1101051949123100", "must be 18 characters long"),
        ("1101051949123100AX", "the first 17 characters must be digits"),
    ],
)
def test_a_bad_resident_id_says_why(number: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        check_resident_id(number)


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES + COMPUTED_CREDIT_CODES)
def test_valid_credit_codes_pass(code: str) -> None:
    check_credit_code(code)
    assert credit_code_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES + COMPUTED_CREDIT_CODES)
def test_any_single_character_change_in_a_credit_code_is_caught(code: str) -> None:
    for position in range(18):
        for char in CREDIT_CODE_ALPHABET:
            if char != code[position]:
                with pytest.raises(InvalidIdentifier):
                    check_credit_code(code[:position] + char + code[position + 1 :])


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y44", "check digit does not match"),
        ("91350100M000100I43", "without I, O, S, V, Z"),
        ("913501A0M000100Y43", "administrative division code"),
        ("91350100M000100Y4", "must be 18 characters long"),
    ],
)
def test_a_bad_credit_code_says_why(code: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        check_credit_code(code)


@pytest.mark.parametrize("number", ["13857101234", "19912345678"])
def test_valid_mobile_numbers_pass(number: str) -> None:
    check_mobile(number)


@pytest.mark.parametrize("number", ["12857101234", "1385710123", "138571012345", "+8613857101234"])
def test_bad_mobile_numbers_are_refused(number: str) -> None:
    with pytest.raises(InvalidIdentifier):
        check_mobile(number)
