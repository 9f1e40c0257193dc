"""intake's PostgreSQL adapters: API keys, idempotency keys, the read model."""

from services.intake.adapters.api_keys import find_caller, issue_api_key

__all__ = ["find_caller", "issue_api_key"]
