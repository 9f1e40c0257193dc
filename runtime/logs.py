"""structlog JSON logs; every line carries the service, and application_id / event_id
while a message is being handled (bound through contextvars), and trace_id / span_id while
an OpenTelemetry span is current. Personal data — resident ID
numbers, mobile numbers, e-mail addresses — and the secrets a URL may carry — user:password@,
query values (?token=…), the fragment — are masked in every line, tracebacks included."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86)?(1[3-9]\d)\d{4}(\d{4})(?![0-9])")
_EMAIL = re.compile(r"(?<![\w.%+-])([\w%+-])[\w.%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# scheme://, userinfo@, host[:port], path, ?query, #fragment; a URL ends at a blank or a quote
_URL = re.compile(
    r"\b([A-Za-z][A-Za-z0-9+.-]*://)([^\s/?#'\"<>]*@)?([^\s/?#'\"<>]*)([^\s?#'\"<>]*)"
    r"(\?[^\s#'\"<>]*)?(#[^\s'\"<>]*)?"
)
_QUERY_VALUE = re.compile(r"(^|[?&;])([^=&;]*)=[^&;]*|(?<=[?&;])([^=&;]+)(?=[&;]|$)")


def _url(found: re.Match[str]) -> str:
    scheme, userinfo, host, path, query, fragment = found.groups()
    query = _QUERY_VALUE.sub(_query_part, query) if query else ""
    return f"{scheme}{'***@' if userinfo else ''}{host}{path}{query}{'#***' if fragment else ''}"


def _query_part(found: re.Match[str]) -> str:
    start, key, bare = found.groups()
    return "***" if bare is not None else f"{start}{key}=***"


def mask(text: str) -> str:
    """330106199003071236 → 330106********1236, 13857101234 → 138****1234, a@b.cn → a***@b.cn,
    https://u:p@h/x?token=s#f → https://***@h/x?token=***#***"""
    text = _URL.sub(_url, text)
    text = _RESIDENT_ID.sub(r"\1********\2", text)
    text = _MOBILE.sub(r"\1****\2", text)
    return _EMAIL.sub(r"\1***@\2", text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


def mask_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    return {key: _masked(value) for key, value in event_dict.items()}


def add_trace_context(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        event_dict.setdefault("trace_id", f"{span.trace_id:032x}")
        event_dict.setdefault("span_id", f"{span.span_id:016x}")
    return event_dict


def configure_logging(service: str, level: str = "INFO") -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_trace_context,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        # a line below the level is dropped before any work is done for it
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                mask_personal_data,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access", "alembic", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
