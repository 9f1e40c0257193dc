from runtime.service import run
from services.dept_adapter.bootstrap import build

run(build())
