"""Shared fixtures: the real program's plan for each shipped stack, captured under mocks."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gate.capture import Plan, capture  # noqa: E402
from settings import Settings, load_stack_file  # noqa: E402
from settings.load import raw_from_stack_document  # noqa: E402

NS = "databricks-ml-entra"


def stack_document(stack: str) -> dict[str, Any]:
    """A fresh, mutable copy of ``Pulumi.<stack>.yaml``."""
    return copy.deepcopy(yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()))


def plan_for(stack: str, mutate: Callable[[dict[str, Any]], object] | None = None) -> Plan:
    """Capture the real program for a shipped stack, optionally after changing its config."""
    doc = stack_document(stack)
    if mutate is not None:
        mutate(doc["config"])
    return capture(stack, raw_from_stack_document(doc, f"Pulumi.{stack}.yaml"))


@pytest.fixture(scope="session")
def plan_dev() -> Plan:
    return plan_for("dev")


@pytest.fixture(scope="session")
def plan_prod() -> Plan:
    return plan_for("prod")


@pytest.fixture(scope="session")
def settings_dev() -> Settings:
    return load_stack_file(ROOT / "Pulumi.dev.yaml")


@pytest.fixture(scope="session")
def settings_prod() -> Settings:
    return load_stack_file(ROOT / "Pulumi.prod.yaml")


# The workspace-registry model the shipped stacks had before their Unity Catalog migration.
# The shipped stacks model every model in Unity Catalog; `registry: workspace` stays
# supported (legacy), so tests of its rules add this model back.
LEGACY_WORKSPACE_MODEL = {
    "dev": {
        "registry": "workspace", "name": "churn-legacy",
        "description": "Customer churn model still in the workspace registry.",
        "permissions": {"ml-engineers": "CAN_MANAGE_PRODUCTION_VERSIONS",
                        "data-scientists": "CAN_MANAGE_STAGING_VERSIONS",
                        "auditors": "CAN_READ", "batch-scoring": "CAN_READ"},
    },
    "prod": {
        "registry": "workspace", "name": "churn-legacy",
        "description": "Customer churn model still in the workspace registry.",
        "permissions": {"model-release": "CAN_MANAGE_PRODUCTION_VERSIONS",
                        "ml-engineers": "CAN_MANAGE_STAGING_VERSIONS",
                        "data-scientists": "CAN_READ", "auditors": "CAN_READ",
                        "batch-scoring": "CAN_READ"},
    },
}


def with_legacy_model(config: dict[str, Any]) -> dict[str, Any]:
    """Add the legacy workspace-registry model ``churn-legacy`` to a stack's config."""
    stack = config[f"{NS}:environment"]
    config[f"{NS}:models"]["churn-legacy"] = copy.deepcopy(LEGACY_WORKSPACE_MODEL[stack])
    return config


@pytest.fixture(scope="session")
def plan_prod_legacy() -> Plan:
    """The prod plan with one model still in the legacy workspace registry."""
    return plan_for("prod", with_legacy_model)


@pytest.fixture(scope="session")
def plan_dev_legacy() -> Plan:
    return plan_for("dev", with_legacy_model)
