"""GitHub-flavoured Markdown (pull-request comments, job summaries).

Every ASCII punctuation character of a value that means something to Markdown or HTML (all
but ``-.,/:'()_;={}%!?+>``, inert inside a line; a value never starts a line) becomes a numeric
character reference, so a value renders as the same text but cannot end a table cell (``|``),
open HTML or an HTML comment (``<``, ``<!--``), start a code span or fence (backticks), emphasis,
a link or an image, math (``$``), or an entity of its own (``&``). GFM splits table rows before
it decodes references, so ``&#124;`` is a pipe inside the cell. Line breaks and every hidden
character are shown as escapes, so a value never adds a row or a line.
"""

from __future__ import annotations

import re
import string
from typing import Any

from gate.escape import visible

# Punctuation that is inert in the middle of a line stays readable in the raw Markdown.
# An underscore between two letters or digits can neither open nor close emphasis.
_INERT = set("-.,/:'()_;={}%!?+>")
_LOOSE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_REFERENCES = {ord(ch): f"&#{ord(ch)};" for ch in string.punctuation if ch not in _INERT}
_PLAIN_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@-]*$")


def text(value: Any) -> str:
    """An untrusted value as inline Markdown text (safe in table cells, lists and headings)."""
    return _LOOSE_UNDERSCORE.sub("&#95;", visible(value).translate(_REFERENCES))


def code(value: Any) -> str:
    """An untrusted value shown as code (``<code>``: no mention, no emoji, no formatting)."""
    shown = visible(value)
    if _PLAIN_CODE.match(shown):
        return f"`{shown}`"
    return f"<code>{text(shown)}</code>"


def prose(value: Any) -> str:
    """Free text of the gate's own pack (remediation): white space folded, then escaped."""
    return text(" ".join(str(value).split()))
