"""Who calls the API: an API client of one kind. A clerk sees every application.

A window client and a clerk work at a hall's counter: what they file or hand over, the
applicant brought in person (a visit, 跑一次)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from contracts.events import Channel

ClientKind = Literal["window", "web", "mobile", "kiosk", "clerk"]
CLIENT_KINDS: tuple[str, ...] = get_args(ClientKind)


@dataclass(frozen=True)
class Caller:
    client_id: str
    kind: ClientKind

    @property
    def channel(self) -> Channel:
        """The channel an application filed by this client came in through."""
        return "window" if self.kind == "clerk" else self.kind

    @property
    def sees_all(self) -> bool:
        return self.kind == "clerk"

    @property
    def at_counter(self) -> bool:
        """The applicant stands at a hall's counter: a window or a clerk files it."""
        return self.kind in ("window", "clerk")

    def may_see(self, owner: str | None) -> bool:
        return self.sees_all or owner == self.client_id
