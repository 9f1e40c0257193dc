"""The checkpoint signer of every service: a background part that signs the service's event
log every `checkpoint_interval_seconds` and once more on the way out, writes each checkpoint to
`<checkpoint_dir>/<schema>.checkpoints.jsonl` and publishes it on `onewindow.checkpoints`.

Built before the service starts anything: with checkpoints on (the default) and no signing
key or directory configured, the service does not start.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.checkpoint import SignedCheckpoint
from contracts.topics import CHECKPOINTS
from eventlog.checkpoint_file import CheckpointFile
from eventlog.checkpointer import Checkpointer
from eventlog.signing import load_private_key
from runtime.settings import ServiceSettings

if TYPE_CHECKING:
    from runtime.service import Service, Work

log = structlog.get_logger()


class CheckpointConfigError(ValueError):
    """Checkpoints are on but cannot be signed or kept; the message names the settings."""


def signing_key(settings: ServiceSettings) -> Ed25519PrivateKey:
    s = settings
    if s.checkpoint_key_file is not None and s.checkpoint_key is not None:
        raise CheckpointConfigError(
            "set one of ONEWINDOW_CHECKPOINT_KEY_FILE and ONEWINDOW_CHECKPOINT_KEY, not both"
        )
    if s.checkpoint_key_file is not None:
        try:
            text = s.checkpoint_key_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CheckpointConfigError(f"ONEWINDOW_CHECKPOINT_KEY_FILE: {exc}") from None
        return load_private_key(text, f"ONEWINDOW_CHECKPOINT_KEY_FILE {s.checkpoint_key_file}")
    if s.checkpoint_key is not None:
        return load_private_key(s.checkpoint_key.get_secret_value(), "ONEWINDOW_CHECKPOINT_KEY")
    raise CheckpointConfigError(
        "checkpoints are on but no signing key is configured: set ONEWINDOW_CHECKPOINT_KEY_FILE "
        "or ONEWINDOW_CHECKPOINT_KEY (`onewindow checkpoint-key` makes one), or turn them off "
        "with ONEWINDOW_CHECKPOINT_ENABLED=false"
    )


def checkpoint_dir(settings: ServiceSettings) -> Path:
    if settings.checkpoint_dir is None:
        raise CheckpointConfigError(
            "checkpoints are on but ONEWINDOW_CHECKPOINT_DIR is not set: the directory the "
            "signed checkpoints are appended to, out of the DBAs' reach"
        )
    return settings.checkpoint_dir


def checkpointing(settings: ServiceSettings) -> dict[str, Work]:
    """The signer as a background part of the service, or none when checkpoints are off.
    Raises CheckpointConfigError (and so stops the start) on a missing or unreadable key."""
    if not settings.checkpoint_enabled:
        return {}
    key, directory = signing_key(settings), checkpoint_dir(settings)

    async def run(service: Service, stop: asyncio.Event) -> None:
        signer = Checkpointer(
            service.pool,
            service.schema,
            key,
            CheckpointFile(directory, service.schema),
            publish=kafka_publisher(service.producer),
        )
        await sign_until_stopped(signer, stop, settings.checkpoint_interval_seconds)

    return {"checkpoints": run}


async def sign_until_stopped(signer: Checkpointer, stopping: asyncio.Event, every: float) -> None:
    """A round every `every` seconds and a last one once `stopping` is set."""
    while True:
        try:
            await signer.checkpoint()
        except (OSError, asyncpg.PostgresError) as exc:
            # the database or the checkpoint directory is away for now: the next round tries
            log.error("checkpoint not signed", error=f"{type(exc).__name__}: {exc}")
        if stopping.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)


def kafka_publisher(
    producer: AIOKafkaProducer,
) -> Callable[[SignedCheckpoint], Coroutine[Any, Any, None]]:
    async def publish(checkpoint: SignedCheckpoint) -> None:
        await producer.send_and_wait(
            CHECKPOINTS, checkpoint.model_dump_json().encode(), key=checkpoint.log.encode()
        )

    return publish
