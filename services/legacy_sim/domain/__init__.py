"""Pure domain of the legacy simulator: decision rules, certificate numbers, the filing ledger."""
