"""A log's checkpoint file: `<directory>/<log>.checkpoints.jsonl`, one JSON line per signed
checkpoint, only ever appended to.

A line: {"checkpoint": SignedCheckpoint, "entries": [[position, stream_id, version, hash hex],
…], "frontier": [[size, hex], …]}. `entries` are the events the checkpoint adds to the one
before it, so the file holds every covered event's hash outside the database: a verifier
rebuilds the Merkle root from them, checks it against each signature, then holds the database
to them event by event and can name what differs. `frontier` (eventlog/merkle.py) lets the
signer go on without reading the file from its start; a verifier does not need it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from contracts.checkpoint import SignedCheckpoint
from eventlog.merkle import Frontier, Leaf

SUFFIX = ".checkpoints.jsonl"
_CHUNK = 64 * 1024


class DamagedCheckpointFile(ValueError):
    """A line that is not a checkpoint; the message names the file and the line."""


@dataclass(frozen=True)
class CheckpointLine:
    checkpoint: SignedCheckpoint
    entries: tuple[Leaf, ...]
    frontier: tuple[tuple[int, bytes], ...]  # after this checkpoint's entries

    def to_json(self) -> str:
        line = {
            "checkpoint": self.checkpoint.model_dump(),
            "entries": [[e.position, e.stream_id, e.version, e.hash.hex()] for e in self.entries],
            "frontier": Frontier(list(self.frontier)).to_json(),
        }
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def parse_line(text: str | bytes, where: str) -> CheckpointLine:
    try:
        line: dict[str, Any] = json.loads(text)
        entries = tuple(
            Leaf(int(p), str(s), int(v), bytes.fromhex(h)) for p, s, v, h in line["entries"]
        )
        return CheckpointLine(
            SignedCheckpoint.model_validate(line["checkpoint"]),
            entries,
            tuple(Frontier.from_json(line["frontier"]).subtrees),
        )
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise DamagedCheckpointFile(f"{where}: not a checkpoint ({_short(exc)})") from None


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


class CheckpointFile:
    def __init__(self, directory: Path, log: str) -> None:
        self.path = directory / f"{log}{SUFFIX}"
        # The last line written or read, and the file's identity then: while the file is
        # unchanged it need not be read (and parsed, ~1 MB a line) again.
        self._known: tuple[tuple[int, int, int], CheckpointLine] | None = None

    def append(self, line: CheckpointLine) -> None:
        """Durable before it returns: one write of the whole line, then fsync."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = (line.to_json() + "\n").encode()
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(descriptor, data)
            if written != len(data):
                raise OSError(f"{self.path}: wrote {written} of {len(data)} bytes")
            os.fsync(descriptor)
            self._known = (_identity(os.fstat(descriptor)), line)
        finally:
            os.close(descriptor)

    def last(self) -> CheckpointLine | None:
        """The newest checkpoint, read from the file's end; None when there is none yet."""
        try:
            with self.path.open("rb") as file:
                identity = _identity(os.fstat(file.fileno()))
                if self._known is not None and self._known[0] == identity:
                    return self._known[1]
                end = file.seek(0, os.SEEK_END)
                if end == 0:
                    return None
                file.seek(end - 1)
                if file.read(1) != b"\n":
                    raise DamagedCheckpointFile(
                        f"{self.path}: its last line is incomplete (a write cut short?)"
                    )
                text, start = b"", end - 1
                while (newline := text.rfind(b"\n")) < 0 and start > 0:
                    step = min(_CHUNK, start)
                    start -= step
                    file.seek(start)
                    text = file.read(step) + text
                last = parse_line(text[newline + 1 :], f"{self.path}: last line")
                self._known = (identity, last)
                return last
        except FileNotFoundError:
            return None

    def lines(self) -> Iterator[tuple[int, CheckpointLine]]:
        """Every checkpoint from the first, numbered from 1; a damaged line raises."""
        try:
            file = self.path.open("rb")
        except FileNotFoundError:
            return
        with file:
            for number, raw in enumerate(file, start=1):
                if not raw.endswith(b"\n"):
                    raise DamagedCheckpointFile(
                        f"{self.path}: line {number} is incomplete (truncated?)"
                    )
                yield number, parse_line(raw, f"{self.path}: line {number}")


def _identity(status: os.stat_result) -> tuple[int, int, int]:
    return status.st_ino, status.st_size, status.st_mtime_ns
