"""``python -m services.legacy_sim``: serve every simulated department on one port."""

import logging

import uvicorn

from services.legacy_sim.app import create_app
from services.legacy_sim.config import LegacySimSettings

settings = LegacySimSettings()
logging.basicConfig(
    level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
)
uvicorn.run(
    create_app(settings),
    host=settings.host,
    port=settings.port,
    log_level=settings.log_level,
    access_log=False,  # its ledger keeps what was asked; a line per request is CPU for nothing
)
