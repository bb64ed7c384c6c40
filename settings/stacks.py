"""Which environment a stack is: one mapping, outside the stack files (``stacks.json``).

The environment decides how strictly a stack is judged: the prod hardening checks in
:mod:`settings.checks` and the policy config ``policies/config/<environment>.json``. If the stack
file under review chose it, a pull request could relabel prod as dev and be judged leniently.
So it is bound to the stack *name*, which the reviewer sees in the command (``python -m gate
prod``, ``pulumi preview --stack prod``), through ``stacks.json`` at the repository root. The
gate, the program under ``pulumi`` (via ``pulumi.get_stack()``) and the CI workflow read that one
file. A stack file may still say ``environment:``; it must then agree.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACKS_FILE = ROOT / "stacks.json"
ENVIRONMENTS = ("dev", "prod")


class StackMappingError(ValueError):
    """``stacks.json`` is missing or malformed, or does not name the stack."""


@lru_cache(maxsize=4)
def _read(path: Path) -> dict[str, str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackMappingError(f"{path.name} is missing: it maps each stack name to its "
                                "environment") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StackMappingError(f"{path.name} is not valid JSON ({type(exc).__name__})") \
            from None
    stacks = doc.get("stacks") if isinstance(doc, dict) else None
    if not isinstance(stacks, dict) or not all(
            isinstance(k, str) and v in ENVIRONMENTS for k, v in stacks.items()):
        raise StackMappingError(f"{path.name} must look like {{\"stacks\": {{\"<stack>\": "
                                f"\"{'|'.join(ENVIRONMENTS)}\"}}}}")
    return dict(stacks)


def stack_environments(path: Path | None = None) -> dict[str, str]:
    """stack name -> environment, from ``stacks.json``."""
    return _read(path or STACKS_FILE)


def environment_of(stack: str, path: Path | None = None) -> str:
    """The environment of ``stack``; StackMappingError when the mapping does not name it."""
    stacks = stack_environments(path)
    if stack not in stacks:
        raise StackMappingError(
            f"stack {stack!r} is not in {(path or STACKS_FILE).name}, so nothing says whether it "
            f"is dev or prod (known stacks: {', '.join(sorted(stacks)) or 'none'})")
    return stacks[stack]
