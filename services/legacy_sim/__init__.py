"""Stand-ins for the departments' legacy systems (demo, tests, benchmarks; never production).

Each department answers in its own protocol style — REST/JSON, SOAP 1.1, submit-then-poll,
callback, or (psb) consuming its Kafka topic itself — with configurable latency, injected faults
and decision rules. The same process also stands in for the notifier's outside world: an SMS
gateway and an SMTP server. The wire formats are specified in docs/legacy-protocols.md and,
for the topic consumer, docs/legacy-integration.md.
"""
