"""router's handlers: the process manager's decision on each event it subscribes to, and the
clock marks that fall due. Each records what was decided through a unit of work."""

from services.router.handlers.clocks import tick
from services.router.handlers.journal import DERIVED, process_stream
from services.router.handlers.process import handle_with

__all__ = ["DERIVED", "handle_with", "process_stream", "tick"]
