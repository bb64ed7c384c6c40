"""Text for XML 1.0 (JUnit): only characters the XML ``Char`` production allows.

ElementTree escapes ``& < > "`` but writes any other character as it is, and a control
character, a lone surrogate or U+FFFE/U+FFFF makes the whole file unreadable to a CI system.
Those, and the bidi and zero-width characters, are shown as escapes.
"""

from __future__ import annotations

from typing import Any

from gate.escape import visible


def text(value: Any) -> str:
    """One untrusted value, on one line, XML-legal."""
    return visible(value)


def lines(parts: list[str]) -> str:
    """Several escaped lines joined with the gate's own line breaks."""
    return "\n".join(parts)
