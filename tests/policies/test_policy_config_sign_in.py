"""The pack keeps its own copy of the sign-in facts (it is an independent control); each copy
in policies/config/<stack>.json must agree with the stack it judges: a stale copy
would silently judge a different tenant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from settings import load_stack_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_policy_config_agrees_with_the_stack_on_sign_in(stack: str) -> None:
    settings = load_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    config = json.loads((ROOT / "policies" / "config" / f"{stack}.json").read_text())
    ca = settings.conditional_access
    exclusions = config["ca-exclusions-only-break-glass"]
    assert exclusions["breakGlassGroupObjectIds"] == ca.break_glass_group_object_ids
    assert {e["objectId"] for e in exclusions["recordedExclusions"]} == {
        e.object_id for e in ca.recorded_exclusions.values()}
    assert config["ca-break-glass-excluded"]["breakGlassGroupObjectIds"] == (
        ca.break_glass_group_object_ids)
    assert config["entra-azure-databricks-assignment-required"]["requireAssignment"] is (
        settings.azure_databricks_app.require_assignment)
    assert config["entra-azure-databricks-app-retained"]["requireProtect"] is (
        settings.protect_critical)
