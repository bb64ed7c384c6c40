"""Fixtures for the policy pack tests.

Puts ``policies/`` on sys.path (the CLI runs the pack with that folder as cwd, so the rules are
imported as the top-level package ``rules``) and loads ``harness.py`` under the unique module
name ``policy_harness`` so it cannot collide with another test folder's helpers.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
if str(POLICIES_DIR) not in sys.path:
    sys.path.insert(0, str(POLICIES_DIR))


def _load_harness():
    """Import tests/policies/harness.py as ``policy_harness`` (once)."""
    if "policy_harness" in sys.modules:
        return sys.modules["policy_harness"]
    spec = importlib.util.spec_from_file_location(
        "policy_harness", Path(__file__).with_name("harness.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["policy_harness"] = module
    spec.loader.exec_module(module)
    return module


harness = _load_harness()


@pytest.fixture
def pack():
    """The pack configured like a production stack (prod.json)."""
    instance = harness.Pack()
    instance.configure_stack("prod")
    instance.configure(harness.load_config("prod"))
    return instance


@pytest.fixture
def dev_pack():
    """The pack configured like a development stack (dev.json)."""
    instance = harness.Pack()
    instance.configure_stack("dev")
    instance.configure(harness.load_config("dev"))
    return instance
