"""Typed settings from ONEWINDOW_* environment variables, one class per service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, PlainSerializer, PlainValidator, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from contracts.subscriptions import SUBSCRIPTIONS
from contracts.webhook_targets import AllowList


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
    kafka_topic_check_seconds: float = Field(
        10.0, gt=0, description="How often the service looks for topics that vanished."
    )
    kafka_request_timeout_seconds: float = Field(30.0, gt=0)
    kafka_session_timeout_seconds: float = Field(
        6.0,
        ge=1,
        description="A consumer silent this long leaves its group: how soon the partitions of a"
        " process killed outright go to another. Brokers refuse less than their minimum (6 s).",
    )
    kafka_watched_groups: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(SUBSCRIPTIONS),
        description="Consumer group → the topics it reads; each must never miss an event: after"
        " a broker lost its data, the relay republishes what one of them may not have consumed.",
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=0, le=65535)
    http_keep_alive_seconds: int = Field(
        75,
        ge=1,
        description="How long an idle client connection is kept open: longer than clients keep "
        "theirs (httpx 5 s), so none sends a request on a connection being closed under it",
    )
    log_level: str = "INFO"
    consumer_batch_size: int = Field(500, ge=1)
    consumer_max_attempts: int = Field(
        5, ge=1, description="Failed attempts after which an event is a dead letter."
    )
    relay_batch_size: int = Field(2000, ge=1)
    relay_publish_timeout_seconds: float = Field(60.0, gt=0)
    relay_watch_seconds: float = Field(
        3.0, gt=0, description="How often the relay asks the broker whether it lost data."
    )
    relay_loss_settle_seconds: float = Field(
        30.0,
        gt=0,
        description="After a broker lost data, what followed the loss is published once more"
        " this much later, when the lost topics have been made again.",
    )
    retry_first_seconds: float = Field(0.2, gt=0, description="First wait of every back-off.")
    retry_max_seconds: float = Field(15.0, gt=0, description="Longest wait of every back-off.")
    part_stable_seconds: float = Field(
        5.0, gt=0, description="How long a restarted part must run before it counts as up."
    )
    part_down_grace_seconds: float = Field(
        15.0, gt=0, description="/readyz answers 503 while a part has been down this long."
    )
    part_give_up_seconds: float = Field(
        600.0, gt=0, description="The service exits non-zero when a part is down this long."
    )
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


WebhookAllow = Annotated[
    AllowList, NoDecode, PlainValidator(AllowList.parse), PlainSerializer(str, return_type=str)
]


class WebhookTargetSettings(ServiceSettings):
    """A service that takes (intake) or calls (notifier) applicants' webhook URLs: both
    apply contracts/webhook_targets with the same allow-list."""

    webhook_allow: WebhookAllow = Field(
        AllowList(),
        description="Internal webhook receivers applicants may name, separated by commas: "
        "networks (10.1.0.0/16), addresses (127.0.0.1, [::1]) or host names, each with an "
        "optional :port. Empty (the default): public receivers only.",
    )
