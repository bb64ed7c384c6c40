"""Find the line of a config key in a stack file, for SARIF locations and reports."""

from __future__ import annotations

from functools import lru_cache

import yaml


@lru_cache(maxsize=8)
def _root(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text)
    except yaml.YAMLError:
        return None


def line_of(text: str, source_key: str) -> int:
    """1-based line of ``source_key`` (``ns:key.sub.sub``) in the stack file; 1 if not found.

    The deepest part of the path that exists is used, so a key that is only implied (a
    default value) points at its nearest written parent.
    """
    root = _root(text)
    if root is None or not source_key:
        return 1
    config = _child(root, "config")
    if config is None:
        return 1
    top, _, rest = source_key.partition(".")
    node = _child(config, top)
    if node is None:
        return (config.start_mark.line + 1) if config.start_mark else 1
    line = node.start_mark.line
    key_line = _key_line(config, top)
    line = key_line if key_line is not None else line
    for part in [p for p in rest.split(".") if p]:
        nxt = _child(node, part)
        if nxt is None:
            break
        kl = _key_line(node, part)
        line = kl if kl is not None else nxt.start_mark.line
        node = nxt
    return line + 1


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    if isinstance(node, yaml.SequenceNode) and key.isdigit() and int(key) < len(node.value):
        return node.value[int(key)]
    return None


def _key_line(node: yaml.Node, key: str) -> int | None:
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k.start_mark.line
    return None
