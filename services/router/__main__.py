from runtime.service import run
from services.router.bootstrap import build

run(build())
