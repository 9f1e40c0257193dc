"""The notifier's handlers: what happens on each event it reads (an outcome, a time-limit
event, a submission) and on each notice it prepared (its delivery)."""

from services.notifier.handlers.applications import application_handlers
from services.notifier.handlers.clocks import clock_handlers
from services.notifier.handlers.outcomes import outcome_handlers

__all__ = ["application_handlers", "clock_handlers", "outcome_handlers"]
