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


def plan_for(stack: str, mutate: Callable[[dict[str, Any]], None] | None = None) -> Plan:
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
