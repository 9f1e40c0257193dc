"""The receipt number an applicant is given for a filed application."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID


def receipt_number(application_id: UUID, at: datetime) -> str:
    """YC + date + the last 8 hex digits of the UUIDv7 (its random part)."""
    return f"YC{at:%Y%m%d}{application_id.hex[-8:].upper()}"
