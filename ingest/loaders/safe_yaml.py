"""YAML for knowledge-base files: `yaml.safe_load` without its two ways to hurt an ingest.

- Aliases (`*name`, and `<<: *name` merges) are refused. PyYAML shares an aliased value instead
  of copying it, so a "billion laughs" file loads small, but the first `str()` or `json.dumps()`
  of it expands 9**9 items. Refusing every alias costs help content nothing (FAQs and front
  matter do not need them) and keeps the check a single rule rather than a size estimate.
- An impossible date (`updated: 2026-13-45`) is a YAML error at its line, not a `ValueError`
  from deep inside the constructor.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import Node, ScalarNode

__all__ = ["safe_load"]


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ComposerError(
                None,
                None,
                f"YAML aliases (*{event.anchor}) are not accepted in knowledge-base files; "
                "write the value out",
                event.start_mark,
            )
        node: Node | None = super().compose_node(parent, index)  # type: ignore[no-untyped-call]
        return node

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[no-untyped-call]
        except ValueError as exc:
            raise ConstructorError(
                None, None, f"impossible date {node.value!r} ({exc})", node.start_mark
            ) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def safe_load(text: str) -> Any:
    """Like `yaml.safe_load`; raises `yaml.YAMLError` (with a mark) for aliases and bad dates."""
    return yaml.load(text, Loader=_Loader)
