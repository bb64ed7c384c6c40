"""Recognising secret-looking values: they are never printed and never stored in plaintext."""

from __future__ import annotations

import re
from typing import Any

# Shapes of real credentials. Each is specific enough not to match ids, names or URLs. The pack
# keeps the same list in policies/rules/secrets.py (it is an independent control and does not
# import settings); tests/policies/test_policy_copies_agree.py asserts the two agree.
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an Entra ID client secret", re.compile(r"[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}")),
    ("a Databricks personal access token", re.compile(r"dapi[0-9a-f]{32}(?:-\d)?")),
    ("a GitHub token", re.compile(r"gh[pousr]_[A-Za-z0-9]{36,}")),
    ("a GitHub fine-grained token", re.compile(r"github_pat_[A-Za-z0-9_]{22,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")),
    ("a storage account key", re.compile(r"AccountKey=[A-Za-z0-9+/=]{40,}")),
    ("a SAS token", re.compile(r"[?&]sig=[A-Za-z0-9%+/=]{20,}")),
)

# Key names whose values must always come from `pulumi config set --secret`. The pack judges
# resource property names with the same expression (policies/rules/secrets.py, checked by
# tests/policies/test_policy_copies_agree.py).
SECRET_KEY_NAMES = re.compile(
    r"(password|passwd|secret|token|apikey|api_key|privatekey|connectionstring|sharedkey|"
    r"accesskey|clientcertificate|credential)s?$", re.IGNORECASE)


def secret_kind(value: Any) -> str | None:
    """Return a description of the credential ``value`` looks like, or None."""
    if not isinstance(value, str):
        return None
    for kind, pattern in SECRET_PATTERNS:
        if pattern.search(value):
            return kind
    return None


MASKED = "'****' (masked: looks like a credential)"
REDACTED = "****"
# Literal secrets shorter than this are masked where they are a problem's value, but not
# searched for in free text (every 'a' of a message would go).
MIN_REDACT_LENGTH = 4


def contains_secret(value: Any, depth: int = 0) -> bool:
    """True when ``value`` or anything inside it looks like or is named like a credential."""
    if depth > 100:
        return True  # deeper than any config: do not print it at all
    if isinstance(value, str):
        return secret_kind(value) is not None
    if isinstance(value, dict):
        for k, v in value.items():
            if secret_kind(str(k)) is not None:
                return True
            if SECRET_KEY_NAMES.search(str(k)) and isinstance(v, str) and v:
                return True
            if str(k) == "secure" or contains_secret(v, depth + 1):
                return True
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(contains_secret(v, depth + 1) for v in value)
    return False


def mask(value: Any, *, secret: bool = False) -> str:
    """Render a value for a message; a secret, or anything secret-looking, is masked."""
    if secret or contains_secret(value):
        return MASKED
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def redact(text: str, literals: Any = ()) -> str:
    """``text`` with every known credential shape and every given secret literal replaced."""
    for _, pattern in SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    for literal in sorted({v for v in literals if isinstance(v, str)}, key=len, reverse=True):
        if len(literal) >= MIN_REDACT_LENGTH:
            text = text.replace(literal, REDACTED)
            shown = repr(literal)[1:-1]
            if shown != literal:
                text = text.replace(shown, REDACTED)
    return text


def secret_literals(value: Any, depth: int = 0) -> list[str]:
    """Every string inside ``value`` that must never be printed (for :func:`redact`)."""
    if depth > 100:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out += [str(k)] if secret_kind(str(k)) else []
            out += secret_literals(v, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in secret_literals(v, depth + 1)]
    return []
