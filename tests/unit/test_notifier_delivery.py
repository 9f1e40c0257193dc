"""Delivery rules: retry or give up, backoff, and the attempt loop with an in-memory sender."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from pydantic import SecretStr, ValidationError

from contracts.events import NoticeDelivered, NoticeDeliveryFailed
from eventlog.retry import Backoff
from services.notifier.bootstrap import retry_policy
from services.notifier.domain.delivery import (
    DeliveryFailure,
    check_http_status,
    retryable,
    terminal,
)
from services.notifier.domain.email import compose_email
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.notices import outcome_notice
from services.notifier.handlers.delivery import RetryPolicy, attempt_delivery
from services.notifier.settings import NotifierSettings
from tests.notices import APPLICATION, DECIDED, Pauses, ScriptedSender, outcome

POLICY = RetryPolicy(max_attempts=4, backoff=Backoff(first=1.0, cap=3.0))
LONGEST = RetryPolicy(max_attempts=4, backoff=Backoff(first=1.0, cap=3.0, draw=lambda: 1.0))


def prepared(**delivery: str) -> NoticePrepared:
    address = {"channel": "webhook", "address": "https://hooks.example.cn/x", **delivery}
    return outcome_notice(APPLICATION, outcome(delivery=address), DECIDED)


@pytest.mark.parametrize(("status", "retry"), [(408, True), (429, True), (500, True), (503, True)])
def test_time_outs_throttling_and_server_errors_are_retried(status: int, retry: bool) -> None:
    with pytest.raises(DeliveryFailure) as failure:
        check_http_status(status, "webhook")
    assert failure.value.retryable is retry and str(status) in str(failure.value)


@pytest.mark.parametrize("status", [301, 400, 401, 404, 410, 422])
def test_other_answers_are_final(status: int) -> None:
    with pytest.raises(DeliveryFailure) as failure:
        check_http_status(status, "webhook")
    assert not failure.value.retryable


def test_2xx_passes() -> None:
    check_http_status(200, "webhook")
    check_http_status(204, "webhook")


def backoff_of(**settings: float) -> Backoff:
    return retry_policy(NotifierSettings(**settings)).backoff


def test_the_retry_wait_grows_from_the_settings_to_their_cap_with_full_jitter() -> None:
    backoff = backoff_of(delivery_backoff_seconds=0.5, delivery_backoff_max_seconds=3.0)
    assert [backoff.ceiling(a) for a in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff.floor == 0.0
    assert 0.0 <= backoff.delay(3) < 2.0


def test_a_first_wait_above_the_cap_waits_the_cap() -> None:
    backoff = backoff_of(delivery_backoff_seconds=5.0, delivery_backoff_max_seconds=2.0)
    assert [backoff.ceiling(a) for a in (1, 2, 3)] == [2.0, 2.0, 2.0]
    assert retry_policy(NotifierSettings(delivery_max_attempts=3)).max_attempts == 3


async def test_retryable_failures_are_retried_until_delivered() -> None:
    sender, pauses = ScriptedSender(retryable("HTTP 500"), retryable("HTTP 503")), Pauses()
    outcome_ = await attempt_delivery(prepared(), "d-1", sender, LONGEST, pauses)
    assert isinstance(outcome_, NoticeDelivered)
    assert (outcome_.attempts, outcome_.receipt, sender.sent) == (3, "receipt-d-1", 3)
    assert outcome_.recipient == "hooks.example.cn"
    assert pauses.waited == [1.0, 2.0]


async def test_a_terminal_failure_ends_at_once() -> None:
    sender = ScriptedSender(terminal("webhook answered HTTP 400"))
    outcome_ = await attempt_delivery(prepared(), "d-1", sender, POLICY, Pauses())
    assert isinstance(outcome_, NoticeDeliveryFailed)
    assert (outcome_.attempts, outcome_.error) == (1, "webhook answered HTTP 400")


async def test_the_last_attempt_failing_ends_as_failed() -> None:
    sender = ScriptedSender(*(retryable(f"HTTP 50{i}") for i in range(4)))
    outcome_ = await attempt_delivery(prepared(), "d-1", sender, POLICY, Pauses())
    assert isinstance(outcome_, NoticeDeliveryFailed)
    assert (outcome_.attempts, outcome_.error, sender.sent) == (4, "HTTP 503", 4)


async def test_an_invalid_address_fails_without_a_send() -> None:
    sender = ScriptedSender()
    outcome_ = await attempt_delivery(
        prepared(address="ftp://x.cn/a"), "d-1", sender, POLICY, Pauses()
    )
    assert isinstance(outcome_, NoticeDeliveryFailed) and "(url)" in outcome_.error
    assert sender.sent == 0


async def test_stopping_during_a_backoff_leaves_the_notice_pending() -> None:
    sender = ScriptedSender(retryable("HTTP 500"))
    assert await attempt_delivery(prepared(), "d-1", sender, POLICY, Pauses(stop_after=1)) is None


def test_the_mail_has_a_utf8_chinese_subject_and_a_stable_message_id() -> None:
    notice = prepared(channel="email", address="chen@example.cn")
    sender = "一网通办 <noreply@onewindow.example.cn>"
    first = compose_email(notice, "notice-1-outcome", sender)
    parsed = message_from_bytes(first.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == notice.subject
    assert str(parsed["From"]) == sender
    assert parsed["Message-ID"] == "<notice-1-outcome@onewindow.example.cn>"
    assert parsed["X-OneWindow-Delivery"] == "notice-1-outcome"
    assert parsed.get_content() == notice.text + "\n"
    again = compose_email(notice, "notice-1-outcome", sender)
    assert again["Message-ID"] == first["Message-ID"]


def test_settings_refuse_an_empty_webhook_secret() -> None:
    with pytest.raises(ValidationError, match="webhook_secret"):
        NotifierSettings(webhook_secret=SecretStr(" "))
    assert NotifierSettings().http_port == 8004
