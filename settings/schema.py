"""JSON Schema of a stack file (``Pulumi.<stack>.yaml``), generated from the settings model.

Editors that speak the YAML language server complete and check stack files with it: each
stack file starts with ``# yaml-language-server: $schema=./settings/stack-config.schema.json``.
The schema is checked in and ``tests/test_config_schema.py`` fails when it no longer matches
the model: regenerate it with ``dbx-gate schema --write``. The schema helps while typing; the
settings loader stays the authority (cross-field rules, secret detection and messages that
name the fix are only there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from settings.load import DERIVED_FIELDS, FOREIGN_KEYS, SECRET_KEYS
from settings.model import PROJECT, Settings

SCHEMA_PATH = Path(__file__).resolve().parent / "stack-config.schema.json"
SCHEMA_ID = "https://github.com/databricks-ml-entra/stack-config.schema.json"


def stack_schema() -> dict[str, Any]:
    model = Settings.model_json_schema(by_alias=True, mode="validation")
    defs = model.get("$defs", {})
    config_props: dict[str, Any] = {}
    required: list[str] = []
    derived_aliases = {Settings.model_fields[f].alias or f for f in DERIVED_FIELDS}
    for alias, prop in model["properties"].items():
        if alias in derived_aliases:
            continue
        config_props[f"{PROJECT}:{alias}"] = prop
        if alias in model.get("required", []):
            required.append(f"{PROJECT}:{alias}")
    for key in FOREIGN_KEYS:
        config_props[key] = {"type": "string", "description": "Azure region, e.g. westeurope"}
        required.append(key)
    for key in SECRET_KEYS:
        config_props[f"{PROJECT}:{key}"] = {
            "description": "Set with `pulumi config set --secret`; never in plaintext.",
            "type": "object", "properties": {"secure": {"type": "string"}},
            "required": ["secure"], "additionalProperties": False}
    ours = "|".join(sorted(k.split(":", 1)[1] for k in config_props if k.startswith(PROJECT)))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"Pulumi stack file of {PROJECT}",
        "description": "Generated from settings/model.py by `dbx-gate schema --write`; do not "
                       "edit by hand.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": config_props,
                "required": sorted(required),
                # Other providers' keys are theirs; unknown keys of this project are errors.
                "patternProperties": {f"^{PROJECT}:(?!({ours})$)": False},
            },
            "environment": {
                "description": "Pulumi ESC environments this stack imports its config from. "
                               "The gate then needs `--resolved-config` (README, 'Pulumi ESC').",
                "oneOf": [{"type": "array", "items": {"type": "string"}},
                          {"type": "object"}],
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
        },
        "$defs": defs,
    }


def render() -> str:
    return json.dumps(stack_schema(), indent=2, sort_keys=False) + "\n"


def write() -> Path:
    SCHEMA_PATH.write_text(render(), encoding="utf-8")
    return SCHEMA_PATH


def is_current() -> bool:
    return SCHEMA_PATH.exists() and SCHEMA_PATH.read_text(encoding="utf-8") == render()
