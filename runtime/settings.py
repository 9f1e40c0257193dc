"""Typed settings from ONEWINDOW_* environment variables, one class per service."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEWINDOW_", extra="ignore")

    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:55432/onewindow",
        description="The role the service runs as: may read and append events, never change them.",
    )
    migration_database_url: str | None = Field(
        None, description="Role that owns the schema and runs migrations; defaults to database_url."
    )
    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_enable_idempotence: bool = Field(
        False, description="Needs InitProducerId: on for Apache Kafka, off for the bundled broker."
    )
    kafka_topic_partitions: int = Field(4, ge=1)
    kafka_topic_replication: int = Field(1, ge=1)
    kafka_create_topics: bool = True
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=0, le=65535)
    log_level: str = "INFO"
    consumer_batch_size: int = Field(500, ge=1)
    relay_batch_size: int = Field(2000, ge=1)
    startup_timeout_seconds: float = Field(120.0, gt=0)
    db_pool_size: int = Field(10, ge=2)
    clock_file: Path | None = Field(
        None, description="Tests only: a file holding the fake current time (runtime/clock.py)."
    )
    # Signed checkpoints of the event log (runtime/checkpointing.py, docs/operations.md).
    checkpoint_enabled: bool = Field(
        True, description="Sign checkpoints of the event log; the service needs a key to start."
    )
    checkpoint_key_file: Path | None = Field(
        None, description="The Ed25519 signing key, PKCS#8 PEM; out of the DBAs' reach."
    )
    checkpoint_key: SecretStr | None = Field(
        None, description="The signing key itself (PEM, or base64 of its 32 raw bytes)."
    )
    checkpoint_dir: Path | None = Field(
        None, description="Where `<schema>.checkpoints.jsonl` is appended to; required."
    )
    checkpoint_interval_seconds: float = Field(
        60.0, gt=0, description="How often the log's new events are signed."
    )
