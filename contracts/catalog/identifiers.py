"""Check characters of Chinese identifiers: resident ID numbers and unified social credit codes.

Each `check_*` function returns nothing for a valid value and raises `InvalidIdentifier` with a
bilingual reason otherwise; the form validator reports that reason as the field's message.
"""

from __future__ import annotations

import re
from datetime import date

RESIDENT_ID_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
RESIDENT_ID_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11), ISO 7064 MOD 11-2

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

MOBILE_PATTERN = re.compile(r"1[3-9]\d{9}")


class InvalidIdentifier(ValueError):
    """The value is not a well-formed identifier; the message says why, in Chinese and English."""


def resident_id_check_char(first17: str) -> str:
    """The 18th character of a GB 11643-1999 citizen ID number whose first 17 digits are given."""
    if len(first17) != 17 or not first17.isdigit():
        raise InvalidIdentifier("前17位应为数字 / the first 17 characters must be digits")
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, RESIDENT_ID_WEIGHTS, strict=True)
    )
    return RESIDENT_ID_CHECK_CHARS[total % 11]


def check_resident_id(value: str) -> None:
    if len(value) != 18:
        raise InvalidIdentifier("长度应为18位 / must be 18 characters long")
    first17, check = value[:17], value[17]
    expected = resident_id_check_char(first17)
    if check not in "0123456789X":
        raise InvalidIdentifier("第18位应为数字或大写X / the 18th character must be a digit or X")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdentifier("出生日期无效 / the birth date is not a calendar date") from None
    if born > date.today() or born.year < 1850:
        raise InvalidIdentifier("出生日期超出范围 / the birth date is out of range")
    if check != expected:
        raise InvalidIdentifier("校验位错误 / check digit does not match")


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a GB 32100-2015 unified social credit code."""
    if len(first17) != 17 or any(char not in CREDIT_CODE_ALPHABET for char in first17):
        raise InvalidIdentifier(
            "前17位只能使用数字和大写字母（不含I、O、S、V、Z） / "
            "the first 17 characters must come from 0-9 and A-Y without I, O, S, V, Z"
        )
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(value: str) -> None:
    if len(value) != 18:
        raise InvalidIdentifier("长度应为18位 / must be 18 characters long")
    expected = credit_code_check_char(value[:17])
    if not value[2:8].isdigit():
        raise InvalidIdentifier(
            "第3-8位应为行政区划码 / characters 3-8 must be an administrative division code"
        )
    if value[17] != expected:
        raise InvalidIdentifier("校验位错误 / check digit does not match")


def check_mobile(value: str) -> None:
    if not MOBILE_PATTERN.fullmatch(value):
        raise InvalidIdentifier(
            "手机号码应为以13-19开头的11位数字 / must be 11 digits starting with 13 to 19"
        )
