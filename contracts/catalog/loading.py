"""Reading the catalog folder: one YAML file per matter, validated before anything uses it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from contracts.catalog.model import Catalog, Matter
from contracts.catalog.validation import CatalogError, check_matter

CATALOG_DIR = Path(__file__).parent


def load_catalog(path: Path | None = None) -> Catalog:
    """Every `*.yaml` matter in `path` (default: the catalog shipped with contracts), checked."""
    folder = path or CATALOG_DIR
    matters: dict[str, Matter] = {}
    sources: dict[str, str] = {}
    for file in sorted(folder.glob("*.yaml")):
        matter = load_matter(file)
        if matter.code in matters:
            also = f"duplicate matter code, also declared in {sources[matter.code]}"
            raise CatalogError(file.name, matter.code, "code", also)
        matters[matter.code], sources[matter.code] = matter, file.name
    if not matters:
        raise CatalogError(str(folder), "-", "-", "no matter (*.yaml) found in the catalog folder")
    issued = {s.certificate.kind for m in matters.values() for s in m.subtasks if s.certificate}
    for code, matter in matters.items():
        for material in matter.materials:
            kind = material.certificate_kind
            if kind is not None and kind not in issued:
                raise CatalogError(
                    sources[code],
                    code,
                    f"materials[{material.code}].source",
                    f"no matter issues a certificate of kind {kind!r}, so the library never"
                    f" holds one; issued kinds: {', '.join(sorted(issued))}",
                )
    return Catalog(matters=matters)


def load_matter(file: Path) -> Matter:
    try:
        raw = yaml.load(file.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        raise CatalogError(file.name, file.stem, "(yaml)", f"not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise CatalogError(file.name, file.stem, "(document)", "must be a mapping of fields")
    code = raw.get("code") if isinstance(raw.get("code"), str) else file.stem
    try:
        matter = Matter.model_validate(raw)
    except ValidationError as error:
        problems = [(_field(raw, e["loc"]), e["msg"]) for e in error.errors()]
        field, reason = problems[0]
        if len(problems) > 1:
            reason += "; also " + "; ".join(f"{f}: {m}" for f, m in problems[1:])
        raise CatalogError(file.name, str(code), field, reason) from None
    check_matter(matter, file.name)
    return matter


def _field(raw: Any, loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a catalog path, naming list items by their code: subtasks[x].y."""
    parts: list[str] = []
    node = raw
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("code") if isinstance(item, dict) else None
            parts[-1] += f"[{label if isinstance(label, str) else part}]"
        else:
            parts.append(part)
        node = node.get(part) if isinstance(node, dict) else item if isinstance(part, int) else None
    return ".".join(parts) or "(document)"


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping instead of keeping the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        for key in {k for k in keys if keys.count(k) > 1}:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)
