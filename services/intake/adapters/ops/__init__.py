"""The ops console's reads: the read model's applications in flight, alerts and backlogs, and
every service's log about one application."""
