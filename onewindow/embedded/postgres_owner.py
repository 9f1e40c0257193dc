"""Who the embedded PostgreSQL server runs as: PostgreSQL refuses root, so when we are root it
runs as a system user that must own its directories and be able to reach them."""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
from pathlib import Path

PG_SYSTEM_USER = "embedded_postgres"


def server_identity() -> tuple[int, int] | None:
    """(uid, gid) to run the server as when we are root (PostgreSQL refuses root), else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "-s", "/bin/bash", PG_SYSTEM_USER], check=True, capture_output=True
        )
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def hand_over(roots: tuple[Path, ...], ident: tuple[int, int]) -> None:
    """Make ``roots`` and everything in them owned by ``ident``, their parents traversable."""
    uid, gid = ident
    for parent in {p for root in roots for p in root.parents}:
        st = parent.stat()
        ok = (st.st_uid == uid and st.st_mode & stat.S_IXUSR) or (
            st.st_gid == gid and st.st_mode & stat.S_IXGRP
        )
        if not ok and not st.st_mode & stat.S_IXOTH:
            parent.chmod(st.st_mode | stat.S_IXOTH)  # traverse only, no listing
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in [".", *dirnames, *filenames]:
                p = os.path.join(dirpath, name)
                if os.lstat(p).st_uid != uid:
                    os.lchown(p, uid, gid)
