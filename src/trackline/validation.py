"""Reading YAML files and validating them with pydantic, with one error format for all of them.

Gate policies, trigger policies and drift/degradation options are all user-written YAML (or CLI
options). Every problem becomes a ``ConfigError`` that names the file, the line for YAML syntax
errors, and the place in the document for validation errors::

    invalid gate policy
      gate.yaml: rules[1] (metric rule), field minimum: unknown field (check the spelling)
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ConfigError

__all__ = ["read_yaml", "validate", "location"]

M = TypeVar("M", bound=BaseModel)
# Names a list item in a location, e.g. "metric rule" or a rule's own name.
Labeller = Callable[[Any], str | None]


class _UniqueKeyLoader(yaml.SafeLoader):
    """``safe_load`` that refuses a key given twice in one mapping: YAML keeps the last, so a
    copy-pasted rule line (``min: 0.1`` then ``min: 0.9``) would change a gate without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # "<<: *base": keys it brings may be
                continue  # overridden, as YAML intends
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: SafeLoader reports it below
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path, what: str) -> Any:
    """Parse a YAML file; a missing file, unreadable bytes or bad syntax is a ``ConfigError``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: {what} file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read the {what}: {exc}") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{p}:{where} not valid YAML: {problem}") from None


def location(
    loc: tuple[Any, ...], data: Any, *, label: Labeller | None = None, tags: Collection[str] = ()
) -> str:
    """``rules[0] (retrain), field action.url`` from pydantic's ``loc`` and the document.

    ``tags`` are pydantic discriminator tags that appear in ``loc`` but not in the document.
    """
    head: list[str] = []
    rest: list[str] = []
    node = data
    for part in loc:
        if part in tags:
            continue
        if isinstance(part, int) and not rest and head:
            item = node[part] if isinstance(node, list) and part < len(node) else None
            name = label(item) if label is not None and item is not None else None
            head[-1] += f"[{part}]" + (f" ({name})" if name else "")
            node = item
            continue
        if not rest and not head and isinstance(node, dict) and isinstance(node.get(part), list):
            head.append(str(part))
            node = node.get(part)
            continue
        rest.append(f"[{part}]" if isinstance(part, int) else str(part))
        node = node.get(part) if isinstance(node, dict) else None
    if head and "[" not in head[0]:  # the list itself, not one of its items
        rest.insert(0, head.pop())
    field = ".".join(rest).replace(".[", "[")
    if head:
        return head[0] + (f", field {field}" if field else "")
    return f"field {field}" if field else "(top level)"


def _message(err: dict[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown field (check the spelling)"
    return str(err["msg"]).removeprefix("Value error, ")


def validate(
    model: type[M],
    data: Any,
    source: str,
    what: str,
    *,
    label: Labeller | None = None,
    tags: Collection[str] = (),
) -> M:
    """``model.model_validate(data)``; every error is listed with its place in ``source``."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: a {what} is a mapping of its fields, not a {type(data).__name__}"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{source}: {location(tuple(e['loc']), data, label=label, tags=tags)}: {_message(e)}"
            for e in exc.errors()
        ]
        raise ConfigError(f"invalid {what}\n  " + "\n  ".join(lines)) from None
