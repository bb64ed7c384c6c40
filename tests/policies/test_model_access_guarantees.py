"""Issue 14.5: the README's model-access guarantees hold for both registries.

Guarantee x resource type (README, "Model access guarantees"): each cell takes the resource the
real program declares for the prod stack, drifts it the way a changed component could, and
checks that the pack run with the shipped prod.json reports it as mandatory. The undrifted
resource passes the same rule, so the drift is what fires it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import policy_harness as harness
import pytest

from gate.model import UNKNOWN as GATE_UNKNOWN
from gate.model import Secret as GateSecret
from tests.conftest import plan_for

PERMISSIONS = "databricks:index/permissions:Permissions"
GRANTS = "databricks:index/grants:Grants"
ADMINS = "sg-dbx-prod-platform-admins"
HUMANS = "sg-dbx-prod-ml-engineers"


def _convert(value: Any) -> Any:
    if value is GATE_UNKNOWN:
        return harness.UNKNOWN
    if isinstance(value, GateSecret):
        return harness.Secret(_convert(value.value))
    if isinstance(value, dict):
        return {k: _convert(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(v) for v in value]
    return value


@pytest.fixture(scope="module")
def declared() -> dict[str, Any]:
    """The prod program's first workspace-registry ACL and first Unity Catalog model grants."""
    def add_workspace_model(config: dict[str, Any]) -> None:
        # The shipped stacks are Unity Catalog only; the legacy registry model is added here.
        config["databricks-ml-entra:models"]["churn-legacy"] = {
            "registry": "workspace", "name": "churn-legacy", "description": "legacy",
            "permissions": {"model-release": "CAN_MANAGE_PRODUCTION_VERSIONS",
                            "ml-engineers": "CAN_MANAGE_STAGING_VERSIONS",
                            "data-scientists": "CAN_READ"}}

    plan = plan_for("prod", add_workspace_model)
    found: dict[str, Any] = {}
    for r in plan.resources:
        if r.type == PERMISSIONS and "registeredModelId" in r.inputs:
            found.setdefault(PERMISSIONS, harness.Res(r.type, r.name, _convert(r.inputs),
                                                      protect=r.protect))
        if r.type == GRANTS and "model" in r.inputs:
            found.setdefault(GRANTS, harness.Res(r.type, r.name, _convert(r.inputs),
                                                 protect=r.protect))
    assert set(found) == {PERMISSIONS, GRANTS}
    return found


@pytest.fixture(scope="module")
def prod_pack() -> Any:
    pack = harness.Pack()
    pack.configure_stack("prod")
    config = json.loads((harness.POLICIES_DIR / "config" / "prod.json").read_text())
    pack.configure(config)
    return pack


Drift = Callable[[Any], Any]


def _acl(res: Any, keep: Callable[[dict[str, Any]], bool], add: list[dict[str, Any]]) -> Any:
    key = "accessControls" if res.type == PERMISSIONS else "grants"
    entries = [e for e in copy.deepcopy(res.props[key]) if keep(e)]
    return res.set(key, entries + add)


def _drop_admins(res: Any) -> Any:
    return _acl(res, lambda e: e.get("groupName", e.get("principal")) != ADMINS, [])


def _humans_get_production(res: Any) -> Any:
    if res.type == PERMISSIONS:
        return _acl(res, lambda e: e.get("groupName") != HUMANS,
                    [{"groupName": HUMANS, "permissionLevel": "CAN_MANAGE_PRODUCTION_VERSIONS"}])
    return _acl(res, lambda e: e.get("principal") != HUMANS,
                [{"principal": HUMANS, "privileges": ["EXECUTE", "MANAGE"]}])


def _unprotected(res: Any) -> Any:
    return res.with_(protect=False)


def _all_users(res: Any) -> Any:
    if res.type == PERMISSIONS:
        return _acl(res, lambda e: True, [{"groupName": "users", "permissionLevel": "CAN_READ"}])
    return _acl(res, lambda e: True, [{"principal": "account users", "privileges": ["EXECUTE"]}])


# guarantee -> (drift, {resource type: the rule that enforces it})
MATRIX: dict[str, tuple[Drift, dict[str, str]]] = {
    "operators keep their management right": (_drop_admins, {
        PERMISSIONS: "databricks-acl-keeps-admins-and-deployer",
        GRANTS: "databricks-acl-keeps-admins-and-deployer"}),
    "production rights only to service principals": (_humans_get_production, {
        PERMISSIONS: "databricks-production-transitions-by-service-principal",
        GRANTS: "databricks-production-transitions-by-service-principal"}),
    "protected in prod": (_unprotected, {
        PERMISSIONS: "protect-critical-resources", GRANTS: "protect-critical-resources"}),
    "nothing to all users": (_all_users, {
        PERMISSIONS: "databricks-acl-no-manage-for-all-users",
        GRANTS: "databricks-uc-no-grants-to-everyone"}),
}
CELLS = [(g, t) for g in MATRIX for t in (PERMISSIONS, GRANTS)]


@pytest.mark.parametrize("guarantee,resource_type", CELLS,
                         ids=[f"{g}-{t.rsplit(':', 1)[-1]}" for g, t in CELLS])
def test_guarantee_fires_mandatory_in_prod(prod_pack: Any, declared: dict[str, Any],
                                           guarantee: str, resource_type: str) -> None:
    drift, rules = MATRIX[guarantee]
    policy = rules[resource_type]
    compliant = declared[resource_type]
    assert [d for d in prod_pack.analyze(compliant) if d.policy == policy] == []
    fired = [d for d in prod_pack.analyze(drift(compliant)) if d.policy == policy]
    assert fired, f"{policy} did not fire on {resource_type} for '{guarantee}'"
    assert {d.level for d in fired} == {"mandatory"}


def test_readme_matrix_lists_every_cell() -> None:
    readme = (harness.POLICIES_DIR.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Model access guarantees", 1)[1].split("\n#", 1)[0]
    for guarantee, (_, rules) in MATRIX.items():
        row = next((line for line in section.splitlines()
                    if line.lower().startswith(f"| {guarantee}")), "")
        assert row, f"README matrix has no row for '{guarantee}'"
        for rule in rules.values():
            assert f"`{rule}`" in row
