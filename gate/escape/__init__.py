"""Escaping at the rendering boundary: one module per output format.

Names in a report come from a stack file that a pull request controls, so every value that did
not come from the gate's own code passes through the module of the format it is written in:

* :mod:`gate.escape.terminal` for text on a terminal (no control sequences, no bidi overrides);
* :mod:`gate.escape.markdown` for pull-request comments and job summaries (no table rows,
  no HTML, no comments, no links or emphasis the value did not ask for as text);
* :mod:`gate.escape.mermaid` for the access graph (no broken or forged graph);
* :mod:`gate.escape.spreadsheet` for CSV (no cell a spreadsheet executes);
* :mod:`gate.escape.xmltext` for JUnit (only characters XML allows);
* :mod:`gate.escape.sarif` for SARIF message strings (no placeholders or embedded links);
* :mod:`gate.escape.jsondoc` for the JSON documents (valid Unicode only).

This module holds what they share: which characters a reader cannot see or that change how the
text around them is shown, and how to show them instead.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

# Categories shown as escapes: controls (C0, DEL, C1), format characters (bidi embeddings,
# overrides and isolates, zero-width characters, the BOM, tag characters), surrogates,
# unassigned code points and non-characters (U+FFFE, U+FFFF), line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@lru_cache(maxsize=4096)
def _shown(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    if unicodedata.category(ch) not in _HIDDEN_CATEGORIES:
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(value: Any) -> str:
    """``value`` as one line of text, every hidden character shown as a backslash escape.

    Newlines, tabs and carriage returns become ``\\n``, ``\\t``, ``\\r``; ESC becomes ``\\x1b``;
    a right-to-left override becomes ``\\u202e``. Printable text is unchanged.
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # fast path: no control, format, separator or unassigned character
        return text
    return "".join(_shown(ch) for ch in text)
