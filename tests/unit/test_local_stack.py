"""What the local stack hands its services: a development checkpoint key, made once, unless
one is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventlog.signing import load_private_key, load_public_keys
from onewindow.stack import Stack


def test_a_development_key_is_made_once_under_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "ONEWINDOW_CHECKPOINT_KEY_FILE",
        "ONEWINDOW_CHECKPOINT_KEY",
        "ONEWINDOW_CHECKPOINT_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    stack = Stack(root=tmp_path)

    wired = stack.checkpoint_wiring()

    assert wired == {
        "ONEWINDOW_CHECKPOINT_KEY_FILE": str(tmp_path / "keys" / "checkpoint.pem"),
        "ONEWINDOW_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
    }
    key_file = tmp_path / "keys" / "checkpoint.pem"
    key = load_private_key(key_file.read_text(), "dev key")
    public = load_public_keys((tmp_path / "keys" / "checkpoint.pem.pub").read_text(), "dev")
    assert next(iter(public.values())) == key.public_key()
    made = key_file.read_bytes()
    assert stack.checkpoint_wiring() == wired and key_file.read_bytes() == made
    assert {k: v for k, v in stack.wiring().items() if "CHECKPOINT" in k} == wired


def test_a_configured_key_and_directory_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEWINDOW_CHECKPOINT_KEY", "configured")
    monkeypatch.setenv("ONEWINDOW_CHECKPOINT_DIR", str(tmp_path / "elsewhere"))
    assert Stack(root=tmp_path).checkpoint_wiring() == {}
    assert not (tmp_path / "keys").exists()
