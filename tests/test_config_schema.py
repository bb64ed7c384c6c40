"""The stack files' JSON Schema: generated from the settings model, checked in, current."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from settings.schema import SCHEMA_PATH, render, stack_schema

ROOT = Path(__file__).resolve().parent.parent
HINT = "# yaml-language-server: $schema=./settings/stack-config.schema.json"


def test_checked_in_schema_matches_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), (
        "settings/stack-config.schema.json is stale: run `python -m gate schema --write`")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_carry_the_hint_and_validate(stack: str) -> None:
    path = ROOT / f"Pulumi.{stack}.yaml"
    assert path.read_text().splitlines()[0] == HINT
    assert (path.parent / HINT.split("=", 1)[1]).resolve() == SCHEMA_PATH
    jsonschema.validate(yaml.safe_load(path.read_text()), json.loads(SCHEMA_PATH.read_text()))


@pytest.mark.parametrize("break_it", [
    lambda cfg: cfg.__setitem__("databricks-ml-entra:grups", {}),  # unknown key of ours
    lambda cfg: cfg.pop("databricks-ml-entra:tenantId"),  # required
    lambda cfg: cfg["databricks-ml-entra:audit"].__setitem__("retentionDays", "a year"),
    lambda cfg: cfg["databricks-ml-entra:groups"]["auditors"].__setitem__("rol", "admin"),
])
def test_schema_catches_what_an_editor_should_flag(break_it) -> None:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    break_it(doc["config"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, stack_schema())


def test_other_providers_keys_are_allowed() -> None:
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["azure-native:environment"] = "public"
    jsonschema.validate(doc, stack_schema())
