"""SARIF 2.1.0 strings.

A plain-text ``message.text`` may contain placeholders (``{0}``) and embedded links
(``[text](1)`` or ``[text](https://...)``) that viewers resolve and render (SARIF 2.1.0
§3.11.5, §3.11.6): literal braces are written ``{{`` and ``}}``, and square brackets and backslashes
are escaped with a backslash (the embedded-link grammar's escapes), so a value can never become
a link, not even after a backslash of its own. Hidden characters are shown as
escapes in every string a viewer displays.
"""

from __future__ import annotations

from typing import Any

from gate.escape import visible

_MESSAGE = str.maketrans({"{": "{{", "}": "}}", "[": "\\[", "]": "\\]", "\\": "\\\\"})


def message(value: Any) -> str:
    """An untrusted value inside a plain-text message string."""
    return visible(value).translate(_MESSAGE)


def name(value: Any) -> str:
    """An untrusted value in a non-message string (location names, properties)."""
    return visible(value)
