"""The manual steps say what the first human deployer needs, in the order the deploy needs it."""

from __future__ import annotations

import re

import pytest

from gate.capture import Plan
from settings import Settings
from tests.conftest import ROOT

STACKS = ["dev", "prod"]


def index_of(steps: list[str], *words: str) -> int:
    found = [i for i, step in enumerate(steps) if all(w in step for w in words)]
    assert found, f"no manual step mentions {words}:\n" + "\n".join(steps)
    return found[0]


@pytest.mark.parametrize("stack", STACKS)
def test_manual_steps_are_numbered_in_the_order_the_deploy_needs_them(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    steps: list[str] = plan.outputs["manualSteps"]
    assert [int(s.split(".")[0]) for s in steps] == list(range(1, len(steps) + 1))
    azure = index_of(steps, "Azure:", "Contributor", settings.subscription_id)
    entra = index_of(steps, "Entra ID:", "Application Administrator", "Global Administrator")
    ca = index_of(steps, "Conditional Access Administrator")
    account_admin = index_of(steps, "Databricks: account admin", settings.databricks.account_id)
    metastore = index_of(steps, "metastore admin", str(settings.databricks.metastore_id))
    aim = index_of(steps, "turn on automatic identity management")
    uc_rights = index_of(steps, "Unity Catalog: before the first deployment", "CREATE_MODEL")
    handover = index_of(steps, "Hand-over", settings.deployer)
    assert azure < entra < ca < account_admin < metastore < aim < uc_rights < handover
    diagnostic = [i for i, s in enumerate(steps) if "Security Administrator" in s
                  and "diagnostic setting" in s]
    if settings.audit.entra_logs:  # prod sends Entra logs: its diagnostic setting needs the role
        assert diagnostic and ca < diagnostic[0] < account_admin
    else:
        assert diagnostic == []


def test_readme_bootstrap_lists_the_same_rights_in_the_same_order() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Bootstrap", 1)[1].split("\n## ", 1)[0]
    order = ["Contributor", "Global Administrator", "Conditional Access Administrator",
             "Security Administrator", "account admin", "metastore admin",
             "automatic identity management", "CREATE_MODEL", "Key Vault Secrets User",
             "Hand-over"]
    positions = [section.find(word) for word in order]
    assert all(p >= 0 for p in positions), dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)
    assert re.search(r"^1\. \*\*Azure\*\*", section, re.MULTILINE)
