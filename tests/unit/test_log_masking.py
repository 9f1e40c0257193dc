"""Personal data never reaches a log line in clear."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from runtime.logs import configure_logging, mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("身份证 330106199003071236 已核验", "身份证 330106********1236 已核验"),
        ("id=11010519491231002X", "id=110105********002X"),
        ("手机13857101234", "手机138****1234"),
        ("+8615158023456 called", "151****3456 called"),
        ("mail chen.siyuan@example.cn now", "mail c***@example.cn now"),
    ],
)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            'HTTP Request: POST https://hooks.example.cn/in?token=s3cret&v=2 "HTTP/1.1 204"',
            'HTTP Request: POST https://hooks.example.cn/in?token=***&v=*** "HTTP/1.1 204"',
        ),
        ("https://user:pw@hooks.example.cn/x", "https://***@hooks.example.cn/x"),
        ("http://hooks.example.cn/x#access_token=abc", "http://hooks.example.cn/x#***"),
        ("'http://h.example.cn/?sig=zz&flag;k=v'", "'http://h.example.cn/?sig=***&***;k=***'"),
        ("postgresql://svc:pw@db.example.cn:5432/ow", "postgresql://***@db.example.cn:5432/ow"),
        ("http://a@b@hooks.example.cn/x", "http://***@hooks.example.cn/x"),
        ("see http://h.example.cn/?mobile=13857101234.", "see http://h.example.cn/?mobile=***"),
        ("https://hooks.example.cn/plain/path", "https://hooks.example.cn/plain/path"),
    ],
)
def test_secrets_a_url_may_carry_are_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "kept",
    [
        "01a20779-550d-7e8f-99dc-fefd971b136e",  # event ids
        "91330106MA2H3XYZ0A",  # a unified social credit code is public
        "330100984437842",  # a 15-digit licence number
        "YC2026112326EC46F7",  # a receipt number
        "2026-11-23T08:11:55.589Z",
    ],
)
def test_identifiers_that_are_not_personal_are_kept(kept: str) -> None:
    assert mask(kept) == kept


def test_every_line_is_masked_also_in_nested_values_and_tracebacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("test")
    try:
        raise ValueError("bad mobile 13906512345")
    except ValueError:
        structlog.get_logger().error(
            "applicant",
            applicant={"id_number": "330102199208152421", "mails": ["a@b.cn"]},
            exc_info=True,
        )
    logging.getLogger("plain").warning("stdlib too: 13857101234")
    logging.getLogger("httpx").warning("HTTP Request: POST %s", "http://h.example.cn/?token=s3cret")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["applicant"] == {"id_number": "330102********2421", "mails": ["a***@b.cn"]}
    assert "13906512345" not in lines[0]["exception"] and "139****2345" in lines[0]["exception"]
    assert lines[1]["event"] == "stdlib too: 138****1234"
    assert lines[2]["event"] == "HTTP Request: POST http://h.example.cn/?token=***"
