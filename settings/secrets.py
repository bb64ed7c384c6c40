"""Recognising secret-looking values: they are never printed and never stored in plaintext."""

from __future__ import annotations

import re
from typing import Any

# Shapes of real credentials. Each is specific enough not to match ids, names or URLs.
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an Entra ID client secret", re.compile(r"[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}")),
    ("a Databricks personal access token", re.compile(r"\bdapi[0-9a-f]{32}(-\d)?\b")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a storage account key", re.compile(r"AccountKey=[A-Za-z0-9+/=]{40,}")),
    ("a SAS token", re.compile(r"[?&]sig=[A-Za-z0-9%+/=]{20,}")),
)

# Key names whose values must always come from `pulumi config set --secret`.
SECRET_KEY_NAMES = re.compile(
    r"(password|secret|token|apikey|api_key|privatekey|credential)s?$", re.I)


def secret_kind(value: Any) -> str | None:
    """Return a description of the credential ``value`` looks like, or None."""
    if not isinstance(value, str):
        return None
    for kind, pattern in SECRET_PATTERNS:
        if pattern.search(value):
            return kind
    return None


def mask(value: Any) -> str:
    """Render a value for a message; anything secret-looking is masked."""
    if secret_kind(value) is not None:
        return "'****' (masked: looks like a credential)"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
