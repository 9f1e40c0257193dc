import sys

from runtime.service import run
from services.dept_adapter.bootstrap import build
from services.dept_adapter.settings import DepartmentsConfigError

try:
    service = build()
except DepartmentsConfigError as e:
    print(f"dept_adapter cannot start: {e}", file=sys.stderr)
    raise SystemExit(2) from None
run(service)
