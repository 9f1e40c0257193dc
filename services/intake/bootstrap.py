from __future__ import annotations

from contracts.topics import APPLICATIONS
from runtime.service import Service
from runtime.settings import ServiceSettings
from services.intake.entrypoints.http import router


class IntakeSettings(ServiceSettings):
    http_port: int = 8001


def build(settings: IntakeSettings | None = None) -> Service:
    return Service(
        "intake", settings or IntakeSettings(), publishes_to=[APPLICATIONS], routers=[router]
    )
