"""CPU time of the processes under load, from /proc/<pid>/stat (user + system ticks).

A part may be several processes: PostgreSQL is a postmaster and a backend per connection,
which come and go. Counting a part as every live process of its tree, each with its own and
its reaped children's time (cutime + cstime), keeps the sum monotonic: a backend that ends
is reaped by the postmaster, and its time moves into the postmaster's cutime/cstime.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    utime: int  # clock ticks
    stime: int
    cutime: int  # reaped children's ticks (user), their reaped children's included
    cstime: int

    @property
    def own(self) -> int:
        return self.utime + self.stime

    @property
    def with_reaped_children(self) -> int:
        return self.utime + self.stime + self.cutime + self.cstime


def parse_stat(text: str) -> ProcStat:
    """One /proc/<pid>/stat line. The command name (field 2) may hold spaces and parentheses,
    so the fields after it are counted from its last ')'."""
    head, _, tail = text.rpartition(")")
    pid = int(head.split("(", 1)[0])
    fields = tail.split()  # fields[0] is field 3 (state)
    ppid, utime, stime, cutime, cstime = (int(fields[i]) for i in (1, 11, 12, 13, 14))
    return ProcStat(pid, ppid, utime, stime, cutime, cstime)


def tree_ticks(table: Mapping[int, ProcStat], root: int) -> int | None:
    """Ticks of ``root`` and every live descendant, reaped children included; None if
    ``root`` is not in the table (not running)."""
    if root not in table:
        return None
    children: dict[int, list[int]] = {}
    for stat in table.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += table[pid].with_reaped_children
        todo.extend(children.get(pid, ()))
    return total


def process_table(proc: Path = PROC) -> dict[int, ProcStat]:
    """Every process /proc shows now (one that ends while being read is left out)."""
    table = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                table[int(entry.name)] = parse_stat((entry / "stat").read_text())
            except (OSError, ValueError, IndexError):
                continue
    return table


@dataclass(frozen=True)
class Watched:
    """A part of the system by the pid it runs as; ``tree``: its descendants count too."""

    name: str
    pid: int | None
    tree: bool = True


def ticks(watched: list[Watched], table: Mapping[int, ProcStat]) -> dict[str, int | None]:
    taken: dict[str, int | None] = {}
    for part in watched:
        if part.pid is None or part.pid not in table:
            taken[part.name] = None
        elif part.tree:
            taken[part.name] = tree_ticks(table, part.pid)
        else:
            taken[part.name] = table[part.pid].own
    return taken


def sample(watched: list[Watched]) -> dict[str, int | None]:
    return ticks(watched, process_table())


def milliseconds(
    before: Mapping[str, int | None], after: Mapping[str, int | None], tick_hz: int | None = None
) -> dict[str, float | None]:
    """CPU milliseconds spent by each part between two samples; None where a part was not
    running at either sample (or was restarted: its time went backwards)."""
    hz = tick_hz or os.sysconf("SC_CLK_TCK")
    spent: dict[str, float | None] = {}
    for name, end in after.items():
        start = before.get(name)
        if start is None or end is None or end < start:
            spent[name] = None
        else:
            spent[name] = (end - start) * 1000 / hz
    return spent
