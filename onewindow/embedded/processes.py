"""Background processes known by their pid file: alive or not, stopped, their log's tail."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no log>"


def _proc_state_and_start(pid: int) -> tuple[str, float] | None:
    """(state letter, start time in epoch seconds) from /proc; None if /proc can't tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        btime = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, IndexError, StopIteration):
        return None
    return fields[0], btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def live_pid(pidfile: Path) -> int | None:
    """The pid recorded in ``pidfile`` (first token) if that process is still alive and is the one
    that wrote it: a process that started after the file was written is an unrelated pid reuse."""
    try:
        pid = int(pidfile.read_text().split()[0])
        written = pidfile.stat().st_mtime
    except (OSError, ValueError, IndexError):
        return None
    if pid <= 1 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child that already exited: reap it
            return None
    info = _proc_state_and_start(pid)
    if info is not None and (info[0] == "Z" or info[1] > written + 2.0):
        return None
    return pid


def stop_pidfile(path: Path, timeout: float = 5.0) -> bool:
    """SIGTERM the process named in ``path``, SIGKILL it after ``timeout`` s, remove the file.
    Returns whether a live process was stopped."""
    pid = live_pid(path)
    if pid is None:
        path.unlink(missing_ok=True)
        return False
    # A process started with start_new_session leads its own group: signal the whole group
    # so that its children (workers, reloaders) go down with it.
    group = False
    with contextlib.suppress(ProcessLookupError):
        group = os.getpgid(pid) == pid != os.getpgrp()

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig) if group else os.kill(pid, sig)

    send(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while live_pid(path) is not None:
        if time.monotonic() > deadline:
            send(signal.SIGKILL)
            deadline = time.monotonic() + timeout
        time.sleep(0.05)
    path.unlink(missing_ok=True)
    return True


def kill_pidfile(path: Path, timeout: float = 10.0) -> bool:
    """SIGKILL the process named in ``path`` (its whole group when it leads one), as a crash
    would, and wait until it is gone; the file is removed. Returns whether one was alive."""
    pid = live_pid(path)
    if pid is None:
        path.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid != os.getpgrp():
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while live_pid(path) is not None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"process {pid} of {path} outlived SIGKILL for {timeout:.0f}s")
        time.sleep(0.02)
    path.unlink(missing_ok=True)
    return True
