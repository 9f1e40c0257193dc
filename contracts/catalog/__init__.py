"""The catalog of matters (事项清单 / 办事指南): `*.yaml` data next to this file, checked at load.

`load_catalog()` reads and validates every matter; `Matter.validate_form()` checks a filled-in
unified form; `resolve_inputs()` maps the form and upstream outputs into a department's input.
"""

from contracts.catalog.forms import FormError
from contracts.catalog.inputs import MissingUpstreamOutput, resolve_inputs
from contracts.catalog.loading import CATALOG_DIR, load_catalog, load_matter
from contracts.catalog.model import (
    Catalog,
    Material,
    Matter,
    Subtask,
    UnknownMatter,
    UnknownSubtask,
)
from contracts.catalog.validation import CatalogError

EXAMPLES_DIR = CATALOG_DIR / "examples"

__all__ = [
    "CATALOG_DIR",
    "EXAMPLES_DIR",
    "Catalog",
    "CatalogError",
    "FormError",
    "Material",
    "Matter",
    "MissingUpstreamOutput",
    "Subtask",
    "UnknownMatter",
    "UnknownSubtask",
    "load_catalog",
    "load_matter",
    "resolve_inputs",
]
