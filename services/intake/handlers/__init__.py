"""intake's handlers: the commands of front-end clients and clerks, and the read model's consumer.

Each command appends its events and applies them to the read model in one transaction, so
the client sees the change at once, and the consumer's later copy of it is a no-op.
"""

from services.intake.handlers.evaluations import close_follow_up, evaluate
from services.intake.handlers.filing import submit, supplement, withdraw
from services.intake.handlers.journal import Rules, application_stream, project, status_url
from services.intake.handlers.results import collect, hand_in

__all__ = [
    "Rules",
    "application_stream",
    "close_follow_up",
    "collect",
    "evaluate",
    "hand_in",
    "project",
    "status_url",
    "submit",
    "supplement",
    "withdraw",
]
