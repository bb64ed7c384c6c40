"""Mermaid flowchart text inside a Markdown code fence.

Labels are always quoted, and everything but ASCII letters, digits, spaces and ``-_.,/:()`` is
written as a Mermaid entity code (``#35;`` for ``#``), so a value cannot close the quote, the
node or the code fence (backticks), add an edge or a statement (``;``, newline), a directive or
comment (``%%``), HTML, or Markdown inside a label. Node ids are never built from values.
"""

from __future__ import annotations

from typing import Any

from gate.escape import visible

_RAW = frozenset(" -_.,/:()")  # inert inside a quoted label


def _code(ch: str) -> str:
    return ch if (ch.isascii() and ch.isalnum()) or ch in _RAW else f"#{ord(ch)};"


def label(*lines: Any) -> str:
    """Untrusted values as one quoted Mermaid label (``"..."``), one line each."""
    return '"' + "<br/>".join("".join(_code(ch) for ch in visible(v)) for v in lines) + '"'


def node_id(prefix: str, index: int) -> str:
    """A node id that no value can collide with or turn into a keyword (``end``)."""
    return f"{prefix}{index}"
