"""The e-certificate library (电子证照库) as the router keeps it for planning: every
certificate of an approved outcome it decided, by kind and holder, written in the same
transaction as the outcome. Which certificates it lists for a holder is a function of the
router's log alone (rows are only added, each once)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from contracts.certificates import verification_hash
from contracts.events import OutcomeDecided
from eventlog.store import Connection
from services.router.domain.events import LibraryCertificate

_WRITE = """
    INSERT INTO e_certificates (application_id, subtask, holder, kind, number, department,
                                issued_at, verification_hash, replaces)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::timestamptz[], $8::text[], $9::bool[])
    ON CONFLICT DO NOTHING
"""
# The newest of a kind is the holder's valid one: an older one was replaced by it, or (for a
# kind that is not replaced) is as valid, and the newest serves as well.
_NEWEST = """
    SELECT DISTINCT ON (kind, holder) kind, holder, number, department, issued_at,
           verification_hash
    FROM e_certificates
    WHERE (kind, holder) IN (SELECT * FROM unnest($1::text[], $2::text[]))
    ORDER BY kind, holder, issued_at DESC, number DESC
"""

Row = tuple[UUID, str, str, str, str, str, datetime, str, bool]


class ECertificates:
    """The library's rows a unit of work adds (at commit), and what it holds for holders."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.rows: list[Row] = []

    def issue(self, application_id: UUID, outcome: OutcomeDecided) -> None:
        """Every certificate of `outcome`, once per holder, if it was approved."""
        if outcome.decision != "approved":
            return
        for certificate in outcome.certificates:
            if certificate.kind is None:
                continue
            digest = verification_hash(application_id, outcome.receipt_number, certificate)
            for holder in certificate.holders:
                self.rows.append(
                    (application_id, certificate.subtask, holder.id, certificate.kind,
                     certificate.number, certificate.department, certificate.issued_at,
                     digest, certificate.replaces)
                )  # fmt: skip

    async def newest(self, wanted: Iterable[tuple[str, str]]) -> tuple[LibraryCertificate, ...]:
        """The newest certificate of each (kind, holder) wanted that the library holds,
        counting those this unit of work issued."""
        pairs = sorted(set(wanted))
        if not pairs:
            return ()
        found = {
            (r["kind"], r["holder"]): LibraryCertificate(**dict(r))
            for r in await self.conn.fetch(_NEWEST, [k for k, _ in pairs], [h for _, h in pairs])
        }
        for _, _, holder, kind, number, department, issued_at, digest, _ in self.rows:
            kept = found.get((kind, holder))
            if (kind, holder) in pairs and (kept is None or kept.issued_at < issued_at):
                found[kind, holder] = LibraryCertificate(
                    kind=kind, holder=holder, number=number, department=department,
                    issued_at=issued_at, verification_hash=digest,
                )  # fmt: skip
        return tuple(found[p] for p in pairs if p in found)

    def mark(self) -> int:
        return len(self.rows)

    def rewind(self, mark: int | None) -> None:
        del self.rows[mark or 0 :]

    async def flush(self) -> None:
        if self.rows:
            await self.conn.execute(_WRITE, *map(list, zip(*self.rows, strict=True)))
            self.rows.clear()
