"""What the load commands (`bench flow`, `chaos`) share on the command line: the mix and the
pace, parsed into clear errors, and the webhook secret of a stack of their own."""

from __future__ import annotations

import secrets

import typer

from contracts.catalog import load_catalog
from onewindow.load.mix import MixError, parse_mix
from onewindow.load.pacing import Pace


def mix_option(spec: str) -> dict[str, int]:
    try:
        return parse_mix(spec, list(load_catalog().matters))
    except MixError as exc:
        raise typer.BadParameter(str(exc), param_hint="--mix") from None


def pace_option(text: str) -> Pace:
    try:
        return Pace.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--rate") from None


def own_webhook_secret() -> dict[str, str]:
    """The notifier of an own stack signs with a secret made for the run."""
    return {"ONEWINDOW_WEBHOOK_SECRET": secrets.token_urlsafe(24)}
