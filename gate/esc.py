"""Stack files whose values come from Pulumi ESC (an ``environment:`` block).

A stack file such as::

    environment:
      - fabrikam/ml-platform-prod
    config:
      azure-native:location: westeurope

takes most of its config from the ESC environment's ``pulumiConfig``; the offline gate cannot
open ESC (no Pulumi Cloud, no credentials). Instead of reporting every key as missing, it says
so and accepts the resolved config, which the Pulumi CLI prints for the selected stack::

    pulumi config --stack prod --json --open --show-secrets=false > prod.config.json
    dbx-gate plan prod --resolved-config prod.config.json

``pulumi config --json`` prints ``{"<ns>:<key>": {"value": "...", "objectValue": {...},
"secret": false}}``; with ``--show-secrets=false`` a secret has ``"secret": true`` and no
value, and the gate records it as set, exactly like an encrypted value in the stack file
(``--open`` resolves the environment, so values from ESC providers are not ``[unknown]``).
``esc env open <org>/<env>`` is *not* the right input: it prints the whole environment,
secrets in plaintext, not the stack's config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from settings.errors import Problem, SettingsError
from settings.load import SECURE, parse, raw_from_stack_document

RESOLVE_COMMAND = "pulumi config --stack {stack} --json --open --show-secrets=false > {file}"
UNKNOWN_MARK = "[unknown]"


def environments(doc: Any) -> list[str]:
    """The ESC environments a stack document imports (``environment:`` list or ``imports:``)."""
    if not isinstance(doc, dict) or "environment" not in doc:
        return []
    block = doc["environment"]
    if isinstance(block, dict):
        block = block.get("imports", [])
    if isinstance(block, str):
        block = [block]
    if not isinstance(block, list):
        return ["<unreadable environment block>"]
    return [str(e if not isinstance(e, dict) else next(iter(e), "")) for e in block]


def read_resolved_config(path: Path) -> dict[str, Any]:
    """The flat raw config map from ``pulumi config --json`` output."""
    source = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError([Problem(source, "resolved config file not found",
                                     "create it with `" + RESOLVE_COMMAND.format(
                                         stack="<stack>", file=path.name) + "`")],
                            source) from None
    except json.JSONDecodeError as exc:
        raise SettingsError([Problem(source, f"is not JSON ({exc})",
                                     "pass the output of `pulumi config --json`")],
                            source) from None
    if not isinstance(doc, dict):
        raise SettingsError([Problem(source, "is not a JSON object of config keys",
                                     "pass the output of `pulumi config --json`")], source)
    raw: dict[str, Any] = {}
    problems = []
    for key, entry in doc.items():
        if not isinstance(entry, dict) or not ({"value", "objectValue", "secret"} & set(entry)):
            problems.append(Problem(f"{source}: {key}", "is not a `pulumi config --json` entry",
                                    "each key maps to {\"value\": ..., \"secret\": ...}"))
            continue
        if entry.get("secret"):
            raw[key] = SECURE
        elif "objectValue" in entry:
            raw[key] = entry["objectValue"]
        else:
            value = entry.get("value")
            if value == UNKNOWN_MARK:
                problems.append(Problem(key, "was not resolved (`[unknown]`)",
                                        "run `pulumi config` with `--open` so the ESC "
                                        "environment is opened"))
                continue
            raw[key] = value
    if problems:
        raise SettingsError(problems, source)
    return raw


def read_stack(path: Path, stack: str, resolved: Path | None = None):  # type: ignore[no-untyped-def]
    """``settings.load.read_stack_file`` that understands ESC: returns (settings, raw config).

    Without ``resolved``, a stack file with an ``environment:`` block whose keys are missing
    fails with one problem that names the environments and the command that resolves them,
    instead of one "required key is missing" per key.
    """
    from settings.load import read_stack_file

    if resolved is None:
        try:
            return read_stack_file(path, stack)
        except SettingsError as exc:
            envs = _environments_of(path)
            if not envs:
                raise
            raise _esc_error(exc, envs, path, stack) from None
    raw = read_resolved_config(resolved)
    if path.exists():
        doc = _load(path)
        # The stack file's own keys win only where the resolved file lacks them (it normally
        # holds them all: `pulumi config` merges the file and the environments).
        file_raw = raw_from_stack_document(doc, str(path)) if doc.get("config") else {}
        raw = {**file_raw, **raw}
    return parse(raw, stack=stack, source=f"{resolved} (resolved config of {path.name})"), raw


def _load(path: Path) -> dict[str, Any]:
    from settings.yaml12 import read_document

    try:
        # The safe reader: a FIFO or device never blocks, hostile YAML is refused.
        doc = read_document(path) or {}
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _environments_of(path: Path) -> list[str]:
    return environments(_load(path)) if path.exists() else []


def _esc_error(exc: SettingsError, envs: list[str], path: Path, stack: str) -> SettingsError:
    kept = [p for p in exc.problems if p.message != "required key is missing"]
    missing = [p.key for p in exc.problems if p.message == "required key is missing"]
    if not missing:
        return exc
    esc = Problem(
        f"{path.name}: environment",
        f"values come from Pulumi ESC ({', '.join(envs)}), which the offline gate cannot "
        f"open; {len(missing)} key(s) are not in the file itself ({', '.join(missing)})",
        "resolve the config with `" + RESOLVE_COMMAND.format(stack=stack,
                                                            file=f"{stack}.config.json")
        + f"` and pass `--resolved-config {stack}.config.json`")
    return SettingsError([esc, *kept], exc.source)
