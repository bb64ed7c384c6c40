"""Rules over what WorkspaceAccess declares, captured from the real program under mocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gate.capture import Plan
from gate.model import CapturedResource, Secret
from settings import ROLE_PRESETS, Role, Settings
from tests.conftest import NS, plan_for

DBX_GROUP = "databricks:index/group:Group"
DBX_SP = "databricks:index/servicePrincipal:ServicePrincipal"
ASSIGNMENT = "databricks:index/mwsPermissionAssignment:MwsPermissionAssignment"
ENTITLEMENTS = "databricks:index/entitlements:Entitlements"
GROUP_MEMBER = "databricks:index/groupMember:GroupMember"
ENTRA_GROUP = "azuread:index/group:Group"
UAMI = "azure-native:managedidentity:UserAssignedIdentity"
APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
SYNC_JOB = "azuread:index/synchronizationJob:SynchronizationJob"
SYNC_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
PROVISIONING = "databricks-ml-entra:access:Provisioning"
SCIM_APP = "cccccccc-0000-0000-0000-000000000001"
INTERACTIVE = ("workspaceAccess", "databricksSqlAccess", "allowClusterCreate",
               "allowInstancePoolCreate")


# --- helpers ----------------------------------------------------------------------------

def on(resource: CapturedResource, provider_name: str) -> bool:
    """Whether the resource is registered with the named explicit provider."""
    return f"::{provider_name}::" in resource.provider


def entra_object_id(plan: Plan, display_name: str) -> str:
    """The object id the (mocked) provider returned for the Entra group of that name."""
    found = [r for r in plan.by_type(ENTRA_GROUP) if r.inputs.get("displayName") == display_name]
    assert len(found) == 1, f"expected one Entra group named {display_name}, got {len(found)}"
    return found[0].outputs["objectId"]


def children_of(plan: Plan, component_type: str) -> list[CapturedResource]:
    """Every resource below the components of the given type (any depth)."""
    roots = {r.urn for r in plan.resources if r.type == component_type}
    found: list[CapturedResource] = []
    for r in plan.resources:
        if r.parent in roots:
            found.append(r)
            roots.add(r.urn)
    return found


def access_resources(plan: Plan) -> list[CapturedResource]:
    return [r for r in plan.resources
            if r.type.startswith("databricks:") or r in children_of(plan, PROVISIONING)]


def with_scim(config: dict[str, Any]) -> None:
    config[f"{NS}:provisioning"] = {"mode": "scim", "scimServicePrincipalObjectId": SCIM_APP}
    config[f"{NS}:scimToken"] = {"secure": "v1:bW9jaw=="}


def workspace_mode(config: dict[str, Any]) -> None:
    """Legacy identity mode: SCIM provisioning, Unity Catalog models granted to SPs only."""
    config[f"{NS}:databricks"]["identityMode"] = "workspace"
    with_scim(config)
    sps = config[f"{NS}:servicePrincipals"]
    for model in config[f"{NS}:models"].values():
        if model["registry"] == "unity-catalog":
            model["permissions"] = {k: v for k, v in model["permissions"].items() if k in sps}


def scim_with_unmapped_group(config: dict[str, Any]) -> None:
    with_scim(config)
    config[f"{NS}:groups"]["finance-readers"] = {
        "displayName": "sg-finance-readers", "description": "Entra-only group, not in Databricks.",
        "owners": ["aaaaaaaa-0000-0000-0000-000000000009"]}


def with_members(count: int) -> Callable[[dict[str, Any]], None]:
    def mutate(config: dict[str, Any]) -> None:
        for group in config[f"{NS}:groups"].values():
            group["members"] = [f"dddddddd-0000-0000-0000-{i:012d}" for i in range(count)]
    return mutate


@pytest.fixture(scope="module")
def plan_workspace_mode() -> Plan:
    return plan_for("dev", workspace_mode)


@pytest.fixture(scope="module")
def plan_scim() -> Plan:
    return plan_for("dev", scim_with_unmapped_group)


# --- identity mapping -------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_mapped_entra_group_has_exactly_one_databricks_counterpart(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    groups = plan.by_type(DBX_GROUP)
    for key, group in settings.mapped_groups.items():
        object_id = entra_object_id(plan, group.display_name)
        assert plan.outputs["groupObjectIds"][key] == object_id
        matches = [g for g in groups if g.inputs.get("externalId") == object_id]
        assert len(matches) == 1, f"{key}: {len(matches)} Databricks groups carry its object id"
        # The name must match Entra's, or SCIM / automatic identity management cannot link it.
        assert matches[0].inputs["displayName"] == group.display_name
    assert len(groups) == len(settings.mapped_groups)


def test_unmapped_groups_stay_out_of_databricks_and_provisioning(plan_scim: Plan) -> None:
    object_id = entra_object_id(plan_scim, "sg-finance-readers")
    referenced = [r for r in access_resources(plan_scim) if object_id in str(r.inputs)]
    assert referenced == []


def test_resource_count_does_not_grow_with_people(plan_dev: Plan) -> None:
    crowded = plan_for("dev", with_members(25))
    assert len(access_resources(crowded)) == len(access_resources(plan_dev))
    assert not [r for r in crowded.resources if r.type == "databricks:index/user:User"]


# --- account identity mode --------------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_account_mode_assigns_every_principal_with_its_role(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    workspace_id = plan.outputs["workspaceId"]
    assert str(workspace_id).isdigit()
    roles = {g.display_name: g.role for g in settings.mapped_groups.values()}
    roles |= {plan.outputs["servicePrincipalApplicationIds"][k]: sp.role
              for k, sp in settings.service_principals.items()}
    principals = plan.by_type(DBX_GROUP) + plan.by_type(DBX_SP)
    assignments = plan.by_type(ASSIGNMENT)
    assert len(assignments) == len(principals)
    for principal in principals:
        assert on(principal, "databricks-account")
        name = principal.inputs.get("displayName") if principal.type == DBX_GROUP \
            else principal.inputs["applicationId"]
        mine = [a for a in assignments if a.inputs["principalId"] == principal.id]
        assert len(mine) == 1
        assert on(mine[0], "databricks-account")
        assert mine[0].inputs["workspaceId"] == workspace_id  # the numeric id, as a string
        role = roles[str(name)]
        assert role is not None, name
        assert mine[0].inputs["permissions"] == [ROLE_PRESETS[role][0]]
        # Account groups and service principals take entitlements inside the workspace only.
        assert not any(k in principal.inputs for k in INTERACTIVE)


def test_entitlements_are_set_in_the_workspace_after_the_assignment(plan_dev: Plan) -> None:
    assignments = {a.inputs["principalId"]: a.urn for a in plan_dev.by_type(ASSIGNMENT)}
    mapped = [e for e in plan_dev.by_type(ENTITLEMENTS)
              if (e.inputs.get("groupId") or e.inputs.get("servicePrincipalId")) in assignments]
    assert len(mapped) == len(assignments)
    for entitlement in mapped:
        principal_id = entitlement.inputs.get("groupId") or entitlement.inputs["servicePrincipalId"]
        assert on(entitlement, "databricks-workspace")
        assert assignments[principal_id] in entitlement.dependencies


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_agents_and_the_users_group_get_no_interactive_entitlements(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    sp_ids = {sp.inputs["applicationId"]: sp.id for sp in plan.by_type(DBX_SP)}
    app_ids = plan.outputs["servicePrincipalApplicationIds"]
    agents = {sp_ids[app_ids[k]] for k, sp in settings.service_principals.items()
              if sp.role is Role.AGENT}
    assert agents
    mapped_ids = {r.id for r in plan.by_type(DBX_GROUP) + plan.by_type(DBX_SP)}
    for e in plan.by_type(ENTITLEMENTS):
        target = e.inputs.get("groupId") or e.inputs.get("servicePrincipalId")
        if target in agents or target not in mapped_ids:  # an agent, or the built-in `users`
            assert not any(e.inputs.get(k) for k in INTERACTIVE), e.name
        if e.inputs.get("servicePrincipalId"):
            assert e.inputs.get("allowInstancePoolCreate") is False  # a group-only entitlement


def test_every_managed_identity_has_one_databricks_sp_with_its_client_id(
        plan_prod: Plan, settings_prod: Settings) -> None:
    client_ids = {r.outputs["clientId"] for r in plan_prod.by_type(UAMI)}
    identities = [k for k, sp in settings_prod.service_principals.items()
                  if sp.kind == "managed-identity"]
    assert len(client_ids) == len(identities) > 0
    sps = plan_prod.by_type(DBX_SP)
    for client_id in client_ids:
        assert len([s for s in sps if s.inputs.get("applicationId") == client_id]) == 1
    assert len(sps) == len(settings_prod.service_principals)


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_identities_are_protected_in_prod_only(
        stack: str, protected: bool, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    identities = plan.by_type(DBX_GROUP) + plan.by_type(DBX_SP)
    assert identities and all(r.protect is protected for r in identities)


# --- workspace identity mode ------------------------------------------------------------

def test_workspace_mode_declares_workspace_local_identities(
        plan_workspace_mode: Plan, settings_dev: Settings) -> None:
    plan = plan_workspace_mode
    assert plan.by_type(ASSIGNMENT) == []
    identities = plan.by_type(DBX_GROUP) + plan.by_type(DBX_SP)
    assert len(identities) == len(settings_dev.mapped_groups) + len(settings_dev.service_principals)
    assert all(on(r, "databricks-workspace") for r in identities)
    for group in plan.by_type(DBX_GROUP):  # entitlements are arguments of the group itself
        assert all(k in group.inputs for k in INTERACTIVE)
    # Only the `users` baseline remains as a separate Entitlements resource.
    assert len(plan.by_type(ENTITLEMENTS)) == 1


def test_workspace_mode_makes_admin_service_principals_workspace_admins(
        plan_workspace_mode: Plan, settings_dev: Settings) -> None:
    plan = plan_workspace_mode
    members = plan.by_type(GROUP_MEMBER)
    admin_sps = [k for k, sp in settings_dev.service_principals.items() if sp.role is Role.ADMIN]
    app_ids = plan.outputs["servicePrincipalApplicationIds"]
    sp_ids = {sp.inputs["applicationId"]: sp.id for sp in plan.by_type(DBX_SP)}
    assert len(members) == len(admin_sps) > 0
    admins_group = {m.inputs["groupId"] for m in members}
    assert len(admins_group) == 1  # the built-in `admins` group, looked up once
    assert {m.inputs["memberId"] for m in members} == {sp_ids[app_ids[k]] for k in admin_sps}
    # Databricks refuses groups inside `admins`: no group is ever made a member.
    group_ids = {g.id for g in plan.by_type(DBX_GROUP)}
    assert not [m for m in members if m.inputs["memberId"] in group_ids]


# --- provisioning -----------------------------------------------------------------------

def test_automatic_identity_management_declares_no_provisioning_resources(plan_dev: Plan) -> None:
    assert children_of(plan_dev, PROVISIONING) == []


def test_scim_provisioning_is_scoped_to_exactly_the_mapped_groups(
        plan_scim: Plan, settings_dev: Settings) -> None:
    provisioning = children_of(plan_scim, PROVISIONING)
    assignments = [r for r in provisioning if r.type == APP_ROLE_ASSIGNMENT]
    assert {a.inputs["resourceObjectId"] for a in assignments} == {SCIM_APP}
    mapped = {entra_object_id(plan_scim, g.display_name)
              for g in settings_dev.mapped_groups.values()}
    assert assignments
    assert sorted(a.inputs["principalObjectId"] for a in assignments) == sorted(mapped)


def test_scim_connector_uses_the_databricks_template_and_a_secret_token(plan_scim: Plan) -> None:
    provisioning = children_of(plan_scim, PROVISIONING)
    jobs = [r for r in provisioning if r.type == SYNC_JOB]
    secrets = [r for r in provisioning if r.type == SYNC_SECRET]
    assert len(jobs) == len(secrets) == 1
    assert jobs[0].inputs["templateId"] == "dataBricks"
    assert jobs[0].inputs["servicePrincipalId"] == f"/servicePrincipals/{SCIM_APP}"
    assert secrets[0].urn in jobs[0].dependencies
    credentials = {c["key"]: c["value"] for c in secrets[0].inputs["credentials"]}
    assert isinstance(credentials["SecretToken"], Secret)
    account_id = "33333333-3333-3333-3333-333333333333"
    assert credentials["BaseAddress"] == (
        f"https://accounts.azuredatabricks.net/api/2.0/accounts/{account_id}/scim/v2")


def test_workspace_mode_scim_targets_the_workspace_scim_api(plan_workspace_mode: Plan) -> None:
    secret = [r for r in children_of(plan_workspace_mode, PROVISIONING) if r.type == SYNC_SECRET]
    credentials = {c["key"]: c["value"] for c in secret[0].inputs["credentials"]}
    assert credentials["BaseAddress"].startswith("https://adb-")
    assert credentials["BaseAddress"].endswith(".azuredatabricks.net/api/2.0/preview/scim")
