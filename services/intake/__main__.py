from runtime.service import run
from services.intake.bootstrap import build

run(build())
