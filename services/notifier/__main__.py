from runtime.service import run
from services.notifier.bootstrap import build

run(build())
