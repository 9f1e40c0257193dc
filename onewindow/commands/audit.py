"""`onewindow verify`: the audit of the services' event logs — their hash chains, and every
event against the services' signed checkpoints (signed by onewindow/commands/checkpoints.py's
commands and by the services themselves)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import asyncpg
import typer

from onewindow.commands.options import DEFAULT_DATABASE_URL, SCHEMAS, DatabaseUrl

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from eventlog.audit import Audit

PublicKeyFile = Annotated[
    Path | None,
    typer.Option(
        envvar="ONEWINDOW_CHECKPOINT_PUBLIC_KEY_FILE",
        help="The trusted public key(s), PEM; keep your own copy, never the one beside the data.",
    ),
]
PublicKey = Annotated[
    str | None,
    typer.Option(
        envvar="ONEWINDOW_CHECKPOINT_PUBLIC_KEY",
        help="Trusted public key(s) as base64 of the 32 raw bytes, comma-separated.",
    ),
]
CheckpointDir = Annotated[
    Path | None,
    typer.Option(
        envvar="ONEWINDOW_CHECKPOINT_DIR",
        help="The checkpoint files; default .onewindow/checkpoints.",
    ),
]


def verify(
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    public_key_file: PublicKeyFile = None,
    public_key: PublicKey = None,
    checkpoint_dir: CheckpointDir = None,
    chain_only: Annotated[
        bool, typer.Option(help="Check the hash chains only, not the signed checkpoints.")
    ] = False,
) -> None:
    """Check every service's log: its hash chains, and every event against the service's
    signed checkpoints. Exit 1 naming each event altered, inserted or removed; exit 2 when
    there is no trusted key to check the checkpoints with."""
    from eventlog.audit import audit
    from eventlog.checkpoint_file import CheckpointFile

    trusted = None if chain_only else _trusted_keys(public_key_file, public_key)
    directory = checkpoint_dir or _local_checkpoints()

    async def run() -> int:
        problems = 0
        for schema in SCHEMAS:
            pool = await asyncpg.create_pool(database_url, server_settings={"search_path": schema})
            try:
                if not await pool.fetchval("SELECT to_regclass('events') IS NOT NULL"):
                    typer.echo(f"{schema}: no event log yet")
                    continue
                found = await audit(pool, schema, CheckpointFile(directory, schema), trusted)
            finally:
                await pool.close()
            _report(schema, found, CheckpointFile(directory, schema).path)
            problems += len(found.tampering) + len(found.file_problems)
        return problems

    if asyncio.run(run()):
        raise typer.Exit(1)


def _trusted_keys(file: Path | None, text: str | None) -> dict[str, Ed25519PublicKey]:
    from eventlog.signing import UnreadableKey, load_public_keys

    if file is None and not text:
        typer.secho(
            "no trusted public key to check the signed checkpoints with: set "
            "ONEWINDOW_CHECKPOINT_PUBLIC_KEY_FILE (the local stack's is "
            ".onewindow/keys/checkpoint.pem.pub), or pass --chain-only",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    try:
        keys: dict[str, Ed25519PublicKey] = {}
        if file is not None:
            keys |= load_public_keys(file.read_text(encoding="utf-8"), str(file))
        if text:
            keys |= load_public_keys(text, "ONEWINDOW_CHECKPOINT_PUBLIC_KEY")
        return keys
    except (OSError, UnreadableKey) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None


def _local_checkpoints() -> Path:
    from onewindow.stack import home

    return home() / "checkpoints"


def _report(schema: str, found: Audit, file: Path) -> None:
    for tampering in found.tampering:
        typer.secho(f"{schema}: {tampering}", fg="red")
    for problem in found.file_problems:
        typer.secho(f"{schema}: checkpoint file {file}: {problem}", fg="red")
    problems = len(found.tampering) + len(found.file_problems)
    verdict = "intact" if found.intact else f"{problems} problem(s)"
    if not found.checked_checkpoints:
        coverage = "signed checkpoints not checked"
    elif found.latest is None:
        coverage = f"no valid checkpoint in {file}; {found.uncovered} event(s) not yet covered"
    else:
        latest = found.latest
        coverage = (
            f"checkpoint #{latest.seq} ({latest.signed_at}) covers {latest.tree_size} event(s) "
            f"up to position {latest.position}; {found.uncovered} event(s) after it not yet covered"
        )
    typer.secho(f"{schema}: {verdict}; {coverage}", fg="green" if found.intact else "red")
