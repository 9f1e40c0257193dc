"""Deficiency acceptance (容缺受理): which materials an application may owe. Pure."""

from __future__ import annotations

from contracts.catalog import Matter
from contracts.events import ApplicationSubmitted


def deficiency_problem(submitted: ApplicationSubmitted, matter: Matter) -> str | None:
    """Why the deferred materials of `submitted` cannot be accepted, or None if they can."""
    if not submitted.deferred_materials:
        return None
    codes = {m.code: m for m in matter.materials}
    for code in submitted.deferred_materials:
        if code not in codes:
            return f"deferred_materials: {code!r} is not a material of matter {matter.code!r}"
        if codes[code].key:
            return f"deferred_materials: {code!r} is a key material; it cannot be deferred"
    if submitted.materials_promised_by is None:
        return "materials_promised_by: required when deferred_materials are given"
    return None
