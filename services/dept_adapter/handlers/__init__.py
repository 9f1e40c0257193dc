"""What dept_adapter does on each message and on each look at a filing or a lookup.

- inbox.py: tasks, cancellations and lookups from Kafka are recorded in the filing's (or the
  lookup's) stream, in the inbox transaction, with no call to an outside system;
- callback.py: a decision a legacy system POSTs back is recorded;
- filing.py (with attempts.py, cancellation.py): one look at a filing — the calls its next
  work needs, and the record of their outcome;
- lookup.py: one look at a register lookup — the registers' answers, recorded.

A look returns when to look again (domain/schedule.py); the workers that look
(entrypoints/filing/) keep the schedule.
"""

SERVICE = "dept_adapter"
