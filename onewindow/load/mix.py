"""Which matters the offered applications are of: a mix given as text, spread evenly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class MixError(ValueError):
    """The mix names an unknown matter, a weight that is not a positive integer, or nothing."""


def parse_mix(spec: str, matters: Sequence[str]) -> dict[str, int]:
    """``all``, one matter, or ``matter=weight,...`` (weight 1 when left out) → weight by matter."""
    spec = spec.strip()
    if spec == "all":
        return dict.fromkeys(matters, 1)
    weights: dict[str, int] = {}
    for part in spec.split(","):
        name, has_weight, weight_text = (p.strip() for p in part.partition("="))
        if not name:
            raise MixError(f"mix {spec!r} has an empty entry; e.g. business-startup=3,newborn=1")
        if name not in matters:
            raise MixError(f"unknown matter {name!r}; one of: all, {', '.join(matters)}")
        if name in weights:
            raise MixError(f"matter {name!r} is named twice in the mix")
        weight = 1
        if has_weight:
            try:
                weight = int(weight_text)
            except ValueError:
                weight = 0
            if weight < 1:
                raise MixError(f"weight of {name!r} must be an integer ≥ 1, not {weight_text!r}")
        weights[name] = weight
    return weights


def spread(weights: Mapping[str, int], count: int) -> list[str]:
    """``count`` matters in the mix's proportions, interleaved (smooth weighted round robin):
    the load has the same mix at every moment, not blocks of one matter."""
    total = sum(weights.values())
    current = dict.fromkeys(weights, 0)
    order: list[str] = []
    for _ in range(count):
        for name, weight in weights.items():
            current[name] += weight
        chosen = max(current, key=lambda name: current[name])
        current[chosen] -= total
        order.append(chosen)
    return order
