"""The audit of one service's log: its hash chains (eventlog/verify.py), and the log held
against its signed checkpoints, event by event.

The chain proves each event's content matches its stored hash; the checkpoints prove the
stored hashes are the ones signed, by a key the database does not hold. Together they find
what the chain alone cannot: an event altered or inserted with the chain recomputed, a removed
last event, a removed stream — each named by stream, version and position. Events after the
latest valid checkpoint are reported as not yet covered: nothing proves them yet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts.checkpoint import SignedCheckpoint
from eventlog.checkpoint_file import CheckpointFile, CheckpointLine, DamagedCheckpointFile
from eventlog.merkle import Frontier, Leaf
from eventlog.signing import signature_problem
from eventlog.store import Connection
from eventlog.verify import Tampering, verify_chains

_LEAVES = "SELECT position, stream_id, version, hash FROM events ORDER BY position"
# In an honest log a stream's versions grow with position, so an event after the covered
# positions whose stream has a higher version among them was put in afterwards.
_INSERTED_BEHIND = """
    SELECT u.position, u.stream_id, u.version FROM events u
    WHERE u.position > $1 AND EXISTS (
        SELECT 1 FROM events c
        WHERE c.stream_id = u.stream_id AND c.version > u.version AND c.position <= $1)
    ORDER BY u.position
"""


@dataclass
class Audit:
    log: str
    tampering: list[Tampering] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)
    checkpoints: int = 0  # valid checkpoints read
    latest: SignedCheckpoint | None = None
    uncovered: int = 0  # events after the latest valid checkpoint
    checked_checkpoints: bool = False

    @property
    def intact(self) -> bool:
        return not self.tampering and not self.file_problems


async def audit(
    pool: asyncpg.Pool,
    log: str,
    file: CheckpointFile | None,
    trusted: Mapping[str, Ed25519PublicKey] | None,
) -> Audit:
    """The chains, and when a file and trusted keys are given, the checkpoints; one snapshot."""
    found = Audit(log)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        found.tampering = await verify_chains(conn)
        if file is not None and trusted is not None:
            found.checked_checkpoints = True
            await _against_checkpoints(conn, file, trusted, found)
    return found


class _Rows:
    """The log's leaves in position order, one ahead."""

    def __init__(self, rows: AsyncIterator[asyncpg.Record]) -> None:
        self._rows = rows
        self.current: Leaf | None = None

    async def advance(self) -> None:
        try:
            row = await anext(self._rows)
            self.current = Leaf(row["position"], row["stream_id"], row["version"], row["hash"])
        except StopAsyncIteration:
            self.current = None


async def _against_checkpoints(
    conn: Connection, file: CheckpointFile, trusted: Mapping[str, Ed25519PublicKey], out: Audit
) -> None:
    rows = _Rows(conn.cursor(_LEAVES).__aiter__())
    await rows.advance()
    frontier, covered = Frontier(), 0
    removed: dict[str, list[tuple[Leaf, int]]] = {}
    rechained: dict[str, int] = {}  # stream → its first version found altered
    try:
        for number, line in file.lines():
            checkpoint = line.checkpoint
            problem = _line_problem(line, out.log, trusted, out.checkpoints + 1, covered, frontier)
            if problem:
                out.file_problems.append(f"line {number} (checkpoint #{checkpoint.seq}): {problem}")
                break
            for signed in line.entries:
                while rows.current is not None and rows.current.position < signed.position:
                    out.tampering.append(_inserted(rows.current, checkpoint, covered))
                    await rows.advance()
                if rows.current is not None and rows.current.position == signed.position:
                    if rows.current != signed:
                        out.tampering.append(_differs(rows.current, signed, checkpoint, rechained))
                    await rows.advance()
                else:
                    removed.setdefault(signed.stream_id, []).append((signed, checkpoint.seq))
            out.checkpoints, out.latest, covered = checkpoint.seq, checkpoint, checkpoint.position
    except DamagedCheckpointFile as exc:
        out.file_problems.append(str(exc))
    while rows.current is not None:
        out.uncovered += 1
        await rows.advance()
    out.tampering += await _removed(conn, removed)
    out.tampering += [
        Tampering(r["stream_id"], r["version"], _behind(covered), r["position"])
        for r in await conn.fetch(_INSERTED_BEHIND, covered)
    ]


def _line_problem(
    line: CheckpointLine,
    log: str,
    trusted: Mapping[str, Ed25519PublicKey],
    seq: int,
    covered: int,
    frontier: Frontier,
) -> str | None:
    """Why this line cannot be trusted, or None; extends `frontier` by its entries."""
    checkpoint, entries = line.checkpoint, line.entries
    if checkpoint.log != log:
        return f"signed for log {checkpoint.log!r}, not {log!r}"
    if problem := signature_problem(checkpoint, trusted):
        return problem
    if checkpoint.seq != seq:
        return f"checkpoint #{checkpoint.seq} where #{seq} was due (a line removed or repeated?)"
    positions = [e.position for e in entries]
    if not entries or positions[0] <= covered or positions != sorted(set(positions)):
        return "its events are not the next positions in order"
    if positions[-1] != checkpoint.position:
        return (
            f"its events end at position {positions[-1]}, the signature says {checkpoint.position}"
        )
    frontier.extend(entries)
    if frontier.size != checkpoint.tree_size or frontier.root().hex() != checkpoint.root:
        return "its events do not hash to the signed Merkle root (the file was altered)"
    return None


def _inserted(found: Leaf, checkpoint: SignedCheckpoint, covered: int) -> Tampering:
    return Tampering(
        found.stream_id,
        found.version,
        f"inserted: not in checkpoint #{checkpoint.seq}, which covers positions "
        f"{covered + 1}–{checkpoint.position}",
        found.position,
    )


def _differs(
    found: Leaf, signed: Leaf, checkpoint: SignedCheckpoint, rechained: dict[str, int]
) -> Tampering:
    if (found.stream_id, found.version) != (signed.stream_id, signed.version):
        problem = (
            f"checkpoint #{checkpoint.seq} signed {signed.stream_id} v{signed.version} at this "
            "position: moved, renumbered or replaced"
        )
    elif (first := rechained.setdefault(found.stream_id, found.version)) < found.version:
        problem = (
            f"hash differs from checkpoint #{checkpoint.seq}: chain recomputed after "
            f"v{first} was altered"
        )
    else:
        problem = f"altered: its hash is not the one signed in checkpoint #{checkpoint.seq}"
    return Tampering(found.stream_id, found.version, problem, found.position)


async def _removed(conn: Connection, removed: dict[str, list[tuple[Leaf, int]]]) -> list[Tampering]:
    """A signed event gone; a stream none of whose events is left, once for the stream."""
    left = {
        r["stream_id"]
        for r in await conn.fetch(
            "SELECT DISTINCT stream_id FROM events WHERE stream_id = ANY($1::text[])", list(removed)
        )
    }
    found = []
    for stream_id, gone in removed.items():
        if stream_id not in left:
            versions = f"v{gone[0][0].version}–v{gone[-1][0].version}"
            found.append(
                Tampering(
                    stream_id,
                    None,
                    f"stream removed: none of its {len(gone)} signed event(s) ({versions}, "
                    f"checkpoint #{gone[0][1]}–#{gone[-1][1]}) is left",
                )
            )
            continue
        found += [
            Tampering(e.stream_id, e.version, f"removed (signed in checkpoint #{seq})", e.position)
            for e, seq in gone
        ]
    return found


def _behind(covered: int) -> str:
    return (
        f"inserted: after the positions covered (up to {covered}) yet before versions of its "
        "stream that are covered"
    )
