"""Stand-ins for the departments' legacy systems (demo, tests, benchmarks; never production).

Each department answers in its own protocol style — REST/JSON, SOAP 1.1, submit-then-poll,
callback — with configurable latency, injected faults and decision rules. The wire formats are
specified in docs/legacy-protocols.md.
"""
