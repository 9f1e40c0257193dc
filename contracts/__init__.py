"""What crosses a service boundary: envelopes, events, topics, the Kafka mapping."""

from contracts import events as events  # registers every event model
