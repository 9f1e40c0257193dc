"""Whether this process records spans at all. Where no exporter is configured the sampler drops
every span (runtime/tracing.py); then the spans a relay or a consumer makes per event are not
made at all — their cost without their use — and an event carries its cause's traceparent."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF


def recorded() -> bool:
    provider = trace.get_tracer_provider()
    return isinstance(provider, TracerProvider) and provider.sampler is not ALWAYS_OFF
