"""Addresses: which ones a channel can deliver to, and how they appear in events and logs."""

from __future__ import annotations

import pytest

from services.notifier.domain.recipients import address_problem, mask, national_mobile


@pytest.mark.parametrize(
    ("channel", "address", "masked"),
    [
        ("email", "chen@example.cn", "c***@example.cn"),
        ("sms", "13812341234", "138****1234"),
        ("sms", "+8613812341234", "138****1234"),
        ("webhook", "https://hooks.example.cn:8443/onewindow?token=s3cret", "hooks.example.cn"),
        ("webhook", "not a url", "***"),
    ],
)
def test_masked_recipients_keep_no_more_than_a_hint(
    channel: str, address: str, masked: str
) -> None:
    assert mask(channel, address) == masked


@pytest.mark.parametrize(
    ("channel", "address"),
    [
        ("webhook", "https://hooks.example.cn/x"),
        ("webhook", "http://127.0.0.1:9000/hook"),
        ("email", "chen@example.cn"),
        ("sms", "13812341234"),
        ("sms", "+8613812341234"),
    ],
)
def test_valid_addresses_pass(channel: str, address: str) -> None:
    assert address_problem(channel, address) is None


@pytest.mark.parametrize(
    ("channel", "address", "problem"),
    [
        ("webhook", "ftp://hooks.example.cn/x", "(url)"),
        ("webhook", "file:///etc/passwd", "(url)"),
        ("webhook", "https:///no-host", "(url)"),
        ("webhook", "https://user:pw@hooks.example.cn/x", "(webhook-userinfo)"),
        ("webhook", "http://2130706433/", "(webhook-host)"),
        ("email", "chen@example", "e-mail address"),
        ("email", "chen@example.cn\r\nBcc: x@y.cn", "e-mail address"),
        ("sms", "1381234123", "mobile"),
        ("sms", "010-12345678", "mobile"),
    ],
)
def test_invalid_addresses_are_named(channel: str, address: str, problem: str) -> None:
    said = address_problem(channel, address)
    assert said is not None and problem in said


def test_the_gateway_gets_the_national_number() -> None:
    assert national_mobile("+8613812341234") == "13812341234"
    assert national_mobile("8613812341234") == "13812341234"
    assert national_mobile("13812341234") == "13812341234"
