"""Where an applicant's webhook may point (a pure policy; the allow-list is an argument):
intake checks it on submission, the notifier on every send and on every address it connects to."""

from contracts.webhook_targets.addresses import IPAddress, address_refusal, numeric_ipv4
from contracts.webhook_targets.allow_list import Allowed, AllowList
from contracts.webhook_targets.hosts import Refused, read_host
from contracts.webhook_targets.targets import (
    DEFAULT_PORTS,
    Target,
    connect_refusal,
    public_port,
    read_target,
    target_refusal,
)

__all__ = [
    "DEFAULT_PORTS",
    "AllowList",
    "Allowed",
    "IPAddress",
    "Refused",
    "Target",
    "address_refusal",
    "connect_refusal",
    "numeric_ipv4",
    "public_port",
    "read_host",
    "read_target",
    "target_refusal",
]
