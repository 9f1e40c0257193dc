"""Who watches the time limits (电子监察): the supervision channel, and each department's
contact from the data file operators maintain (department code → e-mail or webhook URL)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from contracts.departments import DEPARTMENTS
from services.notifier.domain.recipients import address_problem

Role = Literal["supervision-email", "supervision-webhook", "department", "applicant"]


@dataclass(frozen=True)
class Recipient:
    role: Role
    channel: Literal["webhook", "email", "sms"]
    address: str


@dataclass(frozen=True)
class Watchers:
    """The supervision channel (one recipient per configured channel) and the contacts."""

    supervision: tuple[Recipient, ...]
    departments: Mapping[str, Recipient] = field(default_factory=dict)


class ContactsError(ValueError):
    """The department contacts file is not usable; the message names the file and field."""


def contact(address: str, role: Role = "department") -> Recipient:
    """A webhook when the address is an http(s) URL, an e-mail address otherwise."""
    webhook = address.lower().startswith(("http://", "https://"))
    return Recipient(role, "webhook" if webhook else "email", address)


def parse_contacts(document: object, source: str) -> dict[str, Recipient]:
    """`{contacts: {<department code>: <e-mail address or webhook URL>}}`, one contact for
    every department of contracts/departments.py; every problem is named at once."""
    listed = document.get("contacts") if isinstance(document, dict) else None
    shaped = isinstance(document, dict) and set(document) == {"contacts"}
    if not shaped or not isinstance(listed, dict) or not listed:
        raise ContactsError(
            f"{source}: expected one field 'contacts', a mapping of department code to "
            "an e-mail address or an http(s) webhook URL"
        )
    contacts: dict[str, Recipient] = {}
    problems: list[str] = []
    for code, address in listed.items():
        where = f"contacts.{code}"
        if code not in DEPARTMENTS:
            known = ", ".join(DEPARTMENTS)
            problems.append(f"{where}: unknown department code {code!r} (known: {known})")
        elif not isinstance(address, str) or not address.strip():
            problems.append(f"{where}: must be an e-mail address or an http(s) webhook URL")
        elif problem := address_problem(contact(address).channel, address.strip()):
            problems.append(f"{where}: {problem}")
        else:
            contacts[code] = contact(address.strip())
    missing = [code for code in DEPARTMENTS if code not in listed]
    if missing:
        problems.append(f"contacts: no contact for {', '.join(missing)}")
    if problems:
        raise ContactsError(f"{source}: " + "; ".join(problems))
    return contacts
