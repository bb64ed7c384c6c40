"""CSV cells that a spreadsheet shows as text and never evaluates.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-``, ``@``
(or a tab or carriage return) as a formula, also after leading spaces and in their full-width
forms. Such a cell gets a leading apostrophe, the convention spreadsheets read as "text";
controls and line breaks are shown as escapes, so a cell is always one line.
"""

from __future__ import annotations

from typing import Any

from gate.escape import visible

FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def cell(value: Any) -> str:
    text = visible(value)
    lead = text.lstrip(" \u00a0\u3000")
    if lead and lead[0] in FORMULA_STARTS:
        return "'" + text
    return text
