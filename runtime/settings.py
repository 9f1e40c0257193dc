"""Typed settings from ONEWINDOW_* environment variables, one class per service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, PlainSerializer, PlainValidator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
