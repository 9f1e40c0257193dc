"""The pieces of signed checkpoints: the RFC 6962 Merkle tree, Ed25519 signatures and keys,
the append-only checkpoint file."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.checkpoint import SignedCheckpoint
from eventlog.checkpoint_file import CheckpointFile, CheckpointLine, DamagedCheckpointFile
from eventlog.merkle import EMPTY_ROOT, Frontier, Leaf, leaf_hash, node_hash
from eventlog.signing import (
    UnreadableKey,
    generate_key_pair,
    key_id,
    load_private_key,
    load_public_keys,
    sign,
    signature_problem,
)


def leaves(n: int, stream: str = "application-1") -> list[Leaf]:
    return [Leaf(p, stream, p, hashlib.sha256(str(p).encode()).digest()) for p in range(1, n + 1)]


def reference_root(items: list[Leaf]) -> bytes:
    """MTH as RFC 6962 section 2.1 defines it, recursively."""
    if not items:
        return hashlib.sha256(b"").digest()
    if len(items) == 1:
        return leaf_hash(items[0])
    k = 1 << ((len(items) - 1).bit_length() - 1)
    return node_hash(reference_root(items[:k]), reference_root(items[k:]))


def test_the_frontier_gives_the_rfc_6962_root_at_every_size() -> None:
    frontier, items = Frontier(), leaves(70)
    assert frontier.root() == EMPTY_ROOT == reference_root([])
    for n, leaf in enumerate(items, start=1):
        frontier.append(leaf)
        assert frontier.size == n
        assert frontier.root() == reference_root(items[:n]), n
        assert len(frontier.subtrees) == bin(n).count("1")


def test_a_frontier_survives_its_json_and_refuses_a_false_one() -> None:
    frontier = Frontier()
    frontier.extend(leaves(13))
    again = Frontier.from_json(frontier.to_json())
    assert again.root() == frontier.root() and again.size == 13
    with pytest.raises(ValueError, match="not a Merkle frontier"):
        Frontier.from_json([[4, "00" * 32], [8, "00" * 32]])
    with pytest.raises(ValueError, match="not a Merkle frontier"):
        Frontier.from_json([[3, "00" * 32]])


def test_leaf_and_node_hashes_cannot_pass_for_each_other() -> None:
    leaf = leaves(1)[0]
    assert leaf_hash(leaf) == hashlib.sha256(b"\x00" + leaf.data()).digest()
    assert leaf.data() == f'[1,"application-1",1,"{leaf.hash.hex()}"]'.encode()
    left, right = b"a" * 32, b"b" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    # each field of the leaf counts
    moved = Leaf(2, leaf.stream_id, leaf.version, leaf.hash)
    other_stream = Leaf(1, "application-2", leaf.version, leaf.hash)
    assert len({leaf_hash(x) for x in (leaf, moved, other_stream)}) == 3


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def signed(key: Ed25519PrivateKey, seq: int = 1, n: int = 3) -> SignedCheckpoint:
    frontier = Frontier()
    frontier.extend(leaves(n))
    return sign(key, log="intake", seq=seq, tree_size=n, position=n, root=frontier.root())


def test_a_checkpoint_verifies_with_its_public_key(key: Ed25519PrivateKey) -> None:
    checkpoint = signed(key)
    trusted = {key_id(key.public_key()): key.public_key()}
    assert signature_problem(checkpoint, trusted) is None
    assert checkpoint.signed_bytes().startswith(b"onewindow checkpoint v1\n{")
    # the record on Kafka carries everything needed to check it again
    again = SignedCheckpoint.model_validate_json(checkpoint.model_dump_json())
    assert signature_problem(again, trusted) is None


@pytest.mark.parametrize(
    "change",
    [{"tree_size": 4}, {"root": "0" * 64}, {"position": 2}, {"log": "router"}, {"seq": 2}],
    ids=lambda c: next(iter(c)),
)
def test_an_altered_checkpoint_fails_its_signature(
    key: Ed25519PrivateKey, change: dict[str, object]
) -> None:
    altered = signed(key).model_copy(update=change)
    problem = signature_problem(altered, {key_id(key.public_key()): key.public_key()})
    assert problem == "signature does not verify: forged, or the checkpoint was altered"


def test_a_forged_signature_fails(key: Ed25519PrivateKey) -> None:
    trusted = {key_id(key.public_key()): key.public_key()}
    forged = signed(key).model_copy(update={"signature": base64.b64encode(b"x" * 64).decode()})
    assert signature_problem(forged, trusted) == (
        "signature does not verify: forged, or the checkpoint was altered"
    )
    not_base64 = signed(key).model_copy(update={"signature": "not base64!"})
    assert signature_problem(not_base64, trusted) is not None


def test_a_checkpoint_signed_by_another_key_is_not_trusted(key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    by_other = signed(other)
    trusted = {key_id(key.public_key()): key.public_key()}
    assert signature_problem(by_other, trusted) == (
        f"signed by key {key_id(other.public_key())}, which is not among the trusted keys"
    )
    # claiming the trusted key's id does not help: the signature is then checked with it
    posing = by_other.model_copy(update={"key_id": key_id(key.public_key())})
    assert "does not verify" in str(signature_problem(posing, trusted))


def test_keys_read_from_pem_and_raw_base64(tmp_path: Path) -> None:
    public_file = generate_key_pair(tmp_path / "k.pem")
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    private = load_private_key((tmp_path / "k.pem").read_text(), "file")
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert load_private_key(base64.b64encode(raw).decode(), "env").public_key() == (
        private.public_key()
    )
    second = Ed25519PrivateKey.generate().public_key()
    raw_public = base64.b64encode(
        second.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).decode()
    two = load_public_keys(public_file.read_text() + "\n" + public_file.read_text(), "f")
    assert set(two) == {key_id(private.public_key())}
    both = load_public_keys(f"{raw_public}, {raw_public}", "env")
    assert set(both) == {key_id(second)}
    with pytest.raises(UnreadableKey, match="env: not an Ed25519 private key"):
        load_private_key("c2hvcnQ=", "env")
    with pytest.raises(UnreadableKey, match="no public key"):
        load_public_keys(" ", "env")
    with pytest.raises(FileExistsError):
        generate_key_pair(tmp_path / "k.pem")  # a key is never overwritten


def line(key: Ed25519PrivateKey, seq: int, items: list[Leaf], frontier: Frontier) -> CheckpointLine:
    frontier.extend(items)
    checkpoint = sign(
        key,
        log="intake",
        seq=seq,
        tree_size=frontier.size,
        position=items[-1].position,
        root=frontier.root(),
    )
    return CheckpointLine(checkpoint, tuple(items), tuple(frontier.subtrees))


def test_the_file_gives_back_every_line_and_the_last(
    key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    file, frontier, items = CheckpointFile(tmp_path, "intake"), Frontier(), leaves(5)
    assert file.last() is None and list(file.lines()) == []
    first, second = line(key, 1, items[:2], frontier), line(key, 2, items[2:], frontier)
    file.append(first)
    file.append(second)
    assert file.path == tmp_path / "intake.checkpoints.jsonl"
    assert file.last() == second
    assert list(file.lines()) == [(1, first), (2, second)]
    assert Frontier(list(second.frontier)).root().hex() == second.checkpoint.root


def test_the_last_line_is_found_behind_a_long_one(key: Ed25519PrivateKey, tmp_path: Path) -> None:
    file, frontier, items = CheckpointFile(tmp_path, "intake"), Frontier(), leaves(3001)
    file.append(line(key, 1, items[:3000], frontier))  # a line longer than a read chunk
    last = line(key, 2, items[3000:], frontier)
    file.append(last)
    assert file.path.stat().st_size > 64 * 1024
    assert file.last() == last


def test_a_line_another_signer_appended_is_the_last(key: Ed25519PrivateKey, tmp_path: Path) -> None:
    """The services' signer and `onewindow checkpoint` take turns at one file."""
    ours, theirs = CheckpointFile(tmp_path, "intake"), CheckpointFile(tmp_path, "intake")
    frontier, items = Frontier(), leaves(3)
    first = line(key, 1, items[:2], frontier)
    ours.append(first)
    assert ours.last() == first and theirs.last() == first
    second = line(key, 2, items[2:], frontier)
    theirs.append(second)
    assert ours.last() == second


def test_a_truncated_file_is_named_damaged(key: Ed25519PrivateKey, tmp_path: Path) -> None:
    file, frontier, items = CheckpointFile(tmp_path, "intake"), Frontier(), leaves(4)
    file.append(line(key, 1, items[:2], frontier))
    file.append(line(key, 2, items[2:], frontier))
    data = file.path.read_bytes()
    file.path.write_bytes(data[:-40])  # the last write cut short
    with pytest.raises(DamagedCheckpointFile, match="last line is incomplete"):
        file.last()
    with pytest.raises(DamagedCheckpointFile, match="line 2 is incomplete"):
        list(file.lines())
    file.path.write_bytes(data[: data.index(b"\n") + 1] + b'{"checkpoint": {}}\n')
    with pytest.raises(DamagedCheckpointFile, match="line 2: not a checkpoint"):
        list(file.lines())
