"""Text for a terminal or a log: nothing a value says can move the cursor, change colours,
rewrite the title, reorder the line (bidi) or start a line the gate did not write."""

from __future__ import annotations

from typing import Any

from gate.escape import visible


def line(value: Any) -> str:
    """One untrusted value, on one line, with every control and bidi character shown."""
    return visible(value)


def block(text: str) -> str:
    """Text the gate composed over several lines (an error report): each line is escaped, the
    gate's own line breaks are kept."""
    return "\n".join(visible(part) for part in text.split("\n"))
