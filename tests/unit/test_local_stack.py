"""What the local stack hands its services: a development checkpoint key, made once, unless
one is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventlog.signing import load_private_key, load_public_keys
from onewindow.stack import LOCAL_PARTS, Stack, local_parts, service_of


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


def test_replicas_are_processes_of_their_own_on_ports_of_their_own(tmp_path: Path) -> None:
    ports = local_parts(replicas=2)
    assert ports["router"] == 8002 and ports["router-2"] == 8102
    assert ports["dept_adapter-2"] == 8103 and ports["notifier-2"] == 8104
    assert "intake-2" not in ports and "legacy_sim-2" not in ports
    assert local_parts() == LOCAL_PARTS
    stack = Stack(root=tmp_path, ports=ports)
    assert stack.service_processes == [
        "intake",
        "router",
        "router-2",
        "dept_adapter",
        "dept_adapter-2",
        "notifier",
        "notifier-2",
    ]
    assert stack.processes == [*stack.service_processes, "legacy_sim"]
    processes = ("router-2", "dept_adapter-2", "dept_adapter", "load client")
    assert [service_of(p) for p in processes] == [
        "router",
        "dept_adapter",
        "dept_adapter",
        "load client",
    ]
    # each replica of the adapter gives the legacy systems its own address for callbacks
    assert stack.own_wiring("dept_adapter-2") == {
        "ONEWINDOW_ADAPTER_PUBLIC_URL": "http://127.0.0.1:8103"
    }
    assert stack.own_wiring("router-2") == {}


def test_down_finds_every_replica_an_earlier_up_started(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    for name in ("notifier-2", "legacy_sim", "router", "intake", "router-2"):
        (tmp_path / "run" / f"{name}.pid").write_text("0")
    assert Stack(root=tmp_path).recorded() == [
        "intake",
        "router",
        "router-2",
        "notifier-2",
        "legacy_sim",
    ]
