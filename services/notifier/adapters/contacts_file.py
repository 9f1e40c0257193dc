"""Reading the department contacts file (YAML); what it must hold is domain/contacts.py's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from services.notifier.domain.contacts import ContactsError, Recipient, parse_contacts


def load_contacts(path: Path) -> dict[str, Recipient]:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except OSError as exc:
        raise ContactsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise ContactsError(f"{path}: not valid YAML: {exc}") from None
    return parse_contacts(document, str(path))


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping instead of keeping the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        for key in {k for k in keys if keys.count(k) > 1}:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)
