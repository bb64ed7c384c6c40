"""The policy config, as ``pkg/resource/analyzer/config.go`` handles ``--policy-pack-config``.

One implementation, used by the gate's session and the policy tests' harness: read and parse
the document, then reconcile it with the pack's defaults (``ReconcilePolicyPackConfig``) into
the per-policy config that ``Configure`` carries (:func:`gate.pack_wire.configure_request`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema

from gate.pack_types import LEVELS, AnalyzerInfo, PolicyConfig, PolicyConfigError, PolicyInfo

# The JSON schema the CLI injects into every policy's config schema (analyzer_plugin.go).
_ENFORCEMENT_LEVEL_SCHEMA: dict[str, Any] = {"type": "string", "enum": list(LEVELS)}


def load_policy_pack_config(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Read a ``--policy-pack-config`` JSON file; an empty file means no config."""
    text = Path(path).read_text(encoding="utf-8")
    if not text.strip():
        return None
    document = json.loads(text)
    if not isinstance(document, dict):
        raise PolicyConfigError([f"{path}: the config must be a JSON object"])
    return document


def parse_policy_pack_config(document: Mapping[str, Any] | None) -> dict[str, PolicyConfig]:
    """Parse the ``--policy-pack-config`` document format.

    Each key is a policy name (or ``"all"``); each value is an enforcement level string or an
    object with an optional ``enforcementLevel`` and the policy's config properties. Entries with
    neither are dropped, as the CLI does.
    """
    result: dict[str, PolicyConfig] = {}
    errors: list[str] = []
    for key, value in (document or {}).items():
        level = ""
        properties: dict[str, Any] | None = None
        if isinstance(value, str):
            if value not in LEVELS:
                errors.append(
                    f'parsing enforcement level for "{key}": "{value}" is not a valid '
                    "enforcement level"
                )
                continue
            level = value
        elif isinstance(value, Mapping):
            properties = dict(value)
            if "enforcementLevel" in properties:
                given = properties.pop("enforcementLevel")
                if not isinstance(given, str):
                    errors.append(
                        f'parsing enforcement level for "{key}": {given!r} is not a valid '
                        "enforcement level; must be a string"
                    )
                    continue
                if given not in LEVELS:
                    errors.append(
                        f'parsing enforcement level for "{key}": "{given}" is not a valid '
                        "enforcement level"
                    )
                    continue
                level = given
            properties = properties or None
        else:
            errors.append(f'parsing "{key}": {value!r} is not a valid value; must be a string or '
                          "object")
            continue
        if level or properties:
            result[key] = PolicyConfig(level, properties)
    if errors:
        raise PolicyConfigError(errors)
    return result


def reconcile_policy_pack_config(
    info: AnalyzerInfo, document: Mapping[str, Any] | None
) -> dict[str, PolicyConfig]:
    """Build the config the CLI sends with ``Configure`` (``ReconcilePolicyPackConfig``).

    Start from every policy's default level and its schema defaults, apply the pack's initial
    config, then the document (``"all"`` first sets every policy's level), and validate each
    policy's properties against its config schema.
    """
    given = parse_policy_pack_config(document)
    if not info.supports_config:
        if given:
            raise PolicyConfigError([f'policy pack "{info.name}" does not support config'])
        return {}
    result: dict[str, PolicyConfig] = {}
    for policy in info.policies:
        defaults: dict[str, Any] | None = None
        for key, schema in ((policy.config_schema or {}).get("properties") or {}).items():
            if isinstance(schema, Mapping) and "default" in schema:
                defaults = defaults or {}
                defaults[key] = schema["default"]
        result[policy.name] = PolicyConfig(policy.enforcement_level, defaults)
    result = _apply_config(result, info.initial_config)
    result = _apply_config(result, given)
    errors = _validate_config(info.policies, result)
    if errors:
        raise PolicyConfigError(errors)
    invalid = [f'invalid enforcement level "{cfg.enforcement_level}" for "{name}"'
               for name, cfg in result.items() if cfg.enforcement_level not in LEVELS]
    if invalid:
        raise PolicyConfigError(invalid)
    return result


def _apply_config(
    result: dict[str, PolicyConfig], to_apply: Mapping[str, PolicyConfig]
) -> dict[str, PolicyConfig]:
    """``applyConfig``: the ``"all"`` level first, then each entry (including ``"all"``)."""
    applied = dict(result)
    everything = to_apply.get("all")
    if everything is not None and everything.enforcement_level in LEVELS:
        for name, current in applied.items():
            applied[name] = PolicyConfig(everything.enforcement_level, current.properties)
    for name, config in to_apply.items():
        level, properties = "", None
        if name in applied:
            level, properties = applied[name].enforcement_level, applied[name].properties
        if config.enforcement_level in LEVELS:
            level = config.enforcement_level
        if config.properties:
            properties = {**(properties or {}), **config.properties}
        applied[name] = PolicyConfig(level, properties)
    return applied


def _validate_config(
    policies: Sequence[PolicyInfo], config: Mapping[str, PolicyConfig]
) -> list[str]:
    """Validate each policy's properties against its schema (plus ``enforcementLevel``)."""
    errors: list[str] = []
    for policy in policies:
        declared = dict(policy.config_schema or {})
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {
                **(declared.get("properties") or {}),
                "enforcementLevel": _ENFORCEMENT_LEVEL_SCHEMA,
            },
        }
        if declared.get("required"):
            schema["required"] = list(declared["required"])
        current = config.get(policy.name)
        properties = dict(current.properties or {}) if current else {}
        validator = jsonschema.Draft7Validator(schema)
        for error in sorted(validator.iter_errors(properties), key=lambda e: list(e.path)):
            location = ".".join(str(part) for part in error.path)
            prefix = f"{location}: " if location else ""
            errors.append(f"{policy.name}: {prefix}{error.message}")
    return errors

