"""The department contacts file and the supervision settings, checked at start: a notifier
that could not tell anyone about an overdue does not start."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from contracts.departments import DEPARTMENTS
from services.notifier.adapters.contacts_file import load_contacts
from services.notifier.domain.contacts import ContactsError, Recipient, parse_contacts
from services.notifier.domain.email import message_id
from services.notifier.settings import NotifierSettings

EVERY = {code: f"dzjc@{code}.example.cn" for code in DEPARTMENTS}


def test_the_shipped_file_names_a_contact_for_every_department() -> None:
    contacts = load_contacts(NotifierSettings().department_contacts_file)
    assert set(contacts) == set(DEPARTMENTS)
    assert contacts["amr"] == Recipient("department", "email", "dzjc@amr.example.cn")


def test_an_http_address_is_a_webhook_and_anything_else_an_email() -> None:
    contacts = parse_contacts({"contacts": {**EVERY, "tax": "https://tax.example.cn/in"}}, "f")
    assert contacts["tax"] == Recipient("department", "webhook", "https://tax.example.cn/in")
    assert contacts["psb"].channel == "email"


def test_an_unknown_department_code_is_refused_naming_file_and_field() -> None:
    with pytest.raises(ContactsError) as refused:
        parse_contacts({"contacts": {**EVERY, "police": "p@example.cn"}}, "contacts.yaml")
    message = str(refused.value)
    assert message.startswith("contacts.yaml: contacts.police: unknown department code 'police'")
    assert "known: amr, tax" in message


def test_every_problem_is_named_at_once() -> None:
    document = {"contacts": {**EVERY, "amr": "not-an-address", "tax": 7}}
    del document["contacts"]["gas"]
    with pytest.raises(ContactsError) as refused:
        parse_contacts(document, "c.yaml")
    message = str(refused.value)
    assert "contacts.amr: the e-mail address is not valid" in message
    assert "contacts.tax: must be an e-mail address or an http(s) webhook URL" in message
    assert "contacts: no contact for gas" in message


@pytest.mark.parametrize("document", [None, [], {"contacts": []}, {"contacts": {}, "x": 1}])
def test_a_file_of_another_shape_is_refused(document: object) -> None:
    with pytest.raises(ContactsError, match=r"^c\.yaml: expected one field 'contacts'"):
        parse_contacts(document, "c.yaml")


def test_a_department_given_twice_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    twice = tmp_path / "twice.yaml"
    twice.write_text("contacts:\n  amr: a@example.cn\n  amr: b@example.cn\n", encoding="utf-8")
    with pytest.raises(ContactsError, match="duplicate key 'amr'"):
        load_contacts(twice)
    with pytest.raises(ContactsError, match=r"absent\.yaml: cannot be read"):
        load_contacts(tmp_path / "absent.yaml")


def test_without_any_supervision_channel_the_notifier_refuses_to_start() -> None:
    with pytest.raises(ValidationError, match="no supervision channel"):
        NotifierSettings(supervision_email=" ", supervision_webhook_url=None)


def test_the_supervision_channels_configured_are_the_recipients() -> None:
    both = NotifierSettings(supervision_webhook_url="https://dzjc.example.cn/in")
    assert both.supervision() == (
        Recipient("supervision-email", "email", "dzjc@supervision.example.cn"),
        Recipient("supervision-webhook", "webhook", "https://dzjc.example.cn/in"),
    )
    only_hook = NotifierSettings(supervision_email="", supervision_webhook_url="http://h/x")
    assert [r.role for r in only_hook.supervision()] == ["supervision-webhook"]
    with pytest.raises(ValidationError, match=r"webhook address is refused \(url\)"):
        NotifierSettings(supervision_webhook_url="ftp://dzjc.example.cn")


def test_a_clock_notices_message_id_stays_one_valid_id() -> None:
    delivery = "notice-0193a1c2-clock:subtask:amr-licence:promised:exceeded:department"
    assert message_id(delivery, "一网通办 <noreply@onewindow.example.cn>") == (
        "<notice-0193a1c2-clock.subtask.amr-licence.promised.exceeded.department"
        "@onewindow.example.cn>"
    )
