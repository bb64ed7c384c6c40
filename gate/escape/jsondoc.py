"""JSON documents (the gate report, the access review, the access diff).

JSON escapes every control character and, with ``ensure_ascii``, every non-ASCII character, so
values stay exactly what the config said. The one thing JSON cannot carry reliably is a lone
surrogate (RFC 8259 §8.2: parsers may reject it); those are shown as escapes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gate.escape import visible

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(value: Any) -> Any:
    """``value`` with every lone surrogate in a string (key or value) shown as an escape."""
    if isinstance(value, str):
        return _SURROGATE.sub(lambda m: visible(m.group()), value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    text = json.dumps(value, **kwargs)
    if "\\ud" in text or "\\uD" in text:  # surrogates (pairs for astral characters, or lone)
        text = json.dumps(clean(value), **kwargs)
    return text
