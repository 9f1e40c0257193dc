import sys

from pydantic import ValidationError

from contracts.catalog import CatalogError
from runtime.service import run
from services.notifier.bootstrap import build
from services.notifier.domain.contacts import ContactsError

try:
    service = build()
except (ValidationError, ContactsError, CatalogError) as e:
    print(f"notifier cannot start: {e}", file=sys.stderr)
    raise SystemExit(2) from None
run(service)
