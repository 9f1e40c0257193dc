"""Ed25519 keys of checkpoints: the signer's private key and the verifier's trusted public
keys, read from PEM or from base64 of the raw 32 bytes; signing and checking a checkpoint.

The private key lives with the services, never in the database; a verifier trusts only the
public keys it is given (never one found beside the data it checks).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.checkpoint import SignedCheckpoint, statement_bytes

K = TypeVar("K", Ed25519PrivateKey, Ed25519PublicKey)
_PEM = re.compile(r"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----", re.DOTALL)


class UnreadableKey(ValueError):
    """A key that cannot be read; the message says which and why."""


def load_private_key(text: str, where: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PKCS#8 PEM or base64 of its 32 raw bytes."""
    return _load(
        text.strip(),
        where,
        lambda pem: serialization.load_pem_private_key(pem, password=None),
        Ed25519PrivateKey.from_private_bytes,
        Ed25519PrivateKey,  # type: ignore[type-abstract]
    )


def load_public_keys(text: str, where: str) -> dict[str, Ed25519PublicKey]:
    """Trusted public keys by key id: PEM blocks, or base64 raw keys separated by commas or
    whitespace (several: the keys of earlier signers stay trusted for their checkpoints)."""
    blocks = _PEM.findall(text) or [t for t in re.split(r"[,\s]+", text) if t]
    keys = [
        _load(
            block,
            where,
            serialization.load_pem_public_key,
            Ed25519PublicKey.from_public_bytes,
            Ed25519PublicKey,  # type: ignore[type-abstract]
        )
        for block in blocks
    ]
    if not keys:
        raise UnreadableKey(f"{where}: no public key in it")
    return {key_id(key): key for key in keys}


def _load(
    text: str,
    where: str,
    from_pem: Callable[[bytes], object],
    from_raw: Callable[[bytes], object],
    kind: type[K],
) -> K:
    """One key of `kind` from PEM or from base64 of its 32 raw bytes."""
    what = "Ed25519 " + ("private" if kind is Ed25519PrivateKey else "public") + " key"
    try:
        key = from_pem(text.encode()) if text.startswith("-----BEGIN") else from_raw(_raw(text))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise UnreadableKey(f"{where}: not an {what} ({exc})") from None
    if not isinstance(key, kind):
        raise UnreadableKey(f"{where}: a {type(key).__name__}, not an {what}")
    return key


def _raw(text: str) -> bytes:
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError(f"{len(raw)} bytes, not 32")
    return raw


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(
    key: Ed25519PrivateKey, *, log: str, seq: int, tree_size: int, position: int, root: bytes
) -> SignedCheckpoint:
    statement = {
        "log": log,
        "seq": seq,
        "tree_size": tree_size,
        "position": position,
        "root": root.hex(),
        "signed_at": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "key_id": key_id(key.public_key()),
    }
    signature = base64.b64encode(key.sign(statement_bytes(statement))).decode()
    return SignedCheckpoint(**statement, signature=signature)


def signature_problem(
    checkpoint: SignedCheckpoint, trusted: Mapping[str, Ed25519PublicKey]
) -> str | None:
    """Why the checkpoint's signature is not to be trusted, or None when it is."""
    key = trusted.get(checkpoint.key_id)
    if key is None:
        return f"signed by key {checkpoint.key_id}, which is not among the trusted keys"
    try:
        key.verify(base64.b64decode(checkpoint.signature, validate=True), checkpoint.signed_bytes())
    except (InvalidSignature, binascii.Error, ValueError):
        return "signature does not verify: forged, or the checkpoint was altered"
    return None


def generate_key_pair(private_file: Path) -> Path:
    """A new key: PKCS#8 PEM at `private_file` (mode 0600), its public key at `<file>.pub`."""
    key = Ed25519PrivateKey.generate()
    private_file.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(private_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    public_file = private_file.with_name(private_file.name + ".pub")
    public_file.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return public_file
