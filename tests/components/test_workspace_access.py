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


EXTERNAL_GROUP = "databricks:index/getAccountIamExternalGroupV2:getAccountIamExternalGroupV2"
EXTERNAL_SP = ("databricks:index/getAccountIamExternalServicePrincipalV2:"
               "getAccountIamExternalServicePrincipalV2")
ENTRA_SP = "azuread:index/servicePrincipal:ServicePrincipal"


# --- helpers ----------------------------------------------------------------------------

def entra_sp_object_ids(plan: Plan, settings: Settings) -> dict[str, str]:
    """config key -> Entra object id of each automation identity's service principal."""
    clients = plan.outputs["servicePrincipalApplicationIds"]
    by_client = {r.inputs.get("clientId"): r.outputs["objectId"] for r in plan.by_type(ENTRA_SP)}
    by_client |= {r.outputs["clientId"]: r.outputs["principalId"] for r in plan.by_type(UAMI)}
    return {k: by_client[clients[k]] for k in settings.service_principals}


def databricks_ids(plan: Plan, settings: Settings) -> dict[str, str]:
    """Databricks principal id -> config key: resources (SCIM, workspace mode) or the ids
    the account's external lookups return (automatic identity management)."""
    keys = {g.display_name: k for k, g in settings.groups.items()}
    keys |= {v: k for k, v in plan.outputs["servicePrincipalApplicationIds"].items()}
    ids = {r.id: keys[r.inputs["displayName"]] for r in plan.by_type(DBX_GROUP)}
    ids |= {r.id: keys[r.inputs["applicationId"]] for r in plan.by_type(DBX_SP)}
    for lookup in plan.lookups:
        result = lookup.get("result") or {}
        if lookup["token"] in (EXTERNAL_GROUP, EXTERNAL_SP):
            ids[result["internalId"]] = keys[result.get("applicationId")
                                             or result["displayName"]]
    return ids


def entitlements_by_key(plan: Plan, settings: Settings) -> dict[str, dict[str, bool]]:
    """config key (or 'users') -> the entitlements it ends with."""
    ids = databricks_ids(plan, settings)
    held: dict[str, dict[str, bool]] = {}
    for e in plan.by_type(ENTITLEMENTS):
        target = e.inputs.get("groupId") or e.inputs.get("servicePrincipalId")
        held[ids.get(str(target), "users")] = {k: bool(e.inputs.get(k)) for k in INTERACTIVE}
    for r in plan.by_type(DBX_GROUP) + plan.by_type(DBX_SP):  # workspace mode: on the principal
        if any(k in r.inputs for k in INTERACTIVE):
            held[ids[r.id]] = {k: bool(r.inputs.get(k)) for k in INTERACTIVE}
    return held


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

def test_scim_mode_maps_every_entra_group_to_exactly_one_account_group(
        plan_scim: Plan, settings_dev: Settings) -> None:
    """SCIM: the connector creates the account group (externalId = Entra object id); the stack
    declares the same group and adopts it."""
    plan = plan_scim
    groups = plan.by_type(DBX_GROUP)
    for key, group in settings_dev.mapped_groups.items():
        object_id = entra_object_id(plan, group.display_name)
        assert plan.outputs["groupObjectIds"][key] == object_id
        matches = [g for g in groups if g.inputs.get("externalId") == object_id]
        assert len(matches) == 1, f"{key}: {len(matches)} Databricks groups carry its object id"
        # The name must match Entra's, or the SCIM connector cannot link it.
        assert matches[0].inputs["displayName"] == group.display_name
        assert matches[0].inputs["force"] is True
        assert plan.outputs["identityPaths"][key].startswith("created by the SCIM connector")
    assert len(groups) == len(settings_dev.mapped_groups)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_automatic_identity_management_resolves_instead_of_creating(
        stack: str, request: pytest.FixtureRequest) -> None:
    """AIM (the shipped default): no account group may be created with external_id; every
    mapped Entra group and automation identity is resolved by the account-level external
    lookup, by its Entra object id, through the account provider."""
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    assert settings.provisioning.mode == "automatic-identity-management"
    assert plan.by_type(DBX_GROUP) == [] and plan.by_type(DBX_SP) == []
    account = settings.databricks.account_id
    groups = [lk for lk in plan.lookups if lk["token"] == EXTERNAL_GROUP]
    sps = [lk for lk in plan.lookups if lk["token"] == EXTERNAL_SP]
    assert all("::databricks-account::" in lk["provider"] for lk in groups + sps)
    assert sorted(lk["args"]["name"] for lk in groups) == sorted(
        f"accounts/{account}/external-groups/{entra_object_id(plan, g.display_name)}"
        for g in settings.mapped_groups.values())
    assert sorted(lk["args"]["name"] for lk in sps) == sorted(
        f"accounts/{account}/external-service-principals/{oid}"
        for oid in entra_sp_object_ids(plan, settings).values())
    for key in [*settings.mapped_groups, *settings.service_principals]:
        assert plan.outputs["identityPaths"][key].startswith(
            "resolved via automatic identity management"), key


def test_unmapped_groups_stay_out_of_databricks_and_provisioning(plan_scim: Plan) -> None:
    object_id = entra_object_id(plan_scim, "sg-finance-readers")
    referenced = [r for r in access_resources(plan_scim) if object_id in str(r.inputs)]
    assert referenced == []


def test_resource_count_does_not_grow_with_people(plan_dev: Plan) -> None:
    crowded = plan_for("dev", with_members(25))
    assert len(access_resources(crowded)) == len(access_resources(plan_dev))
    assert not [r for r in crowded.resources if r.type == "databricks:index/user:User"]


# --- account identity mode --------------------------------------------------------------

@pytest.mark.parametrize("plan_name", ["plan_dev", "plan_prod", "plan_scim"])
def test_account_mode_assigns_every_principal_with_its_role(
        plan_name: str, request: pytest.FixtureRequest, settings_dev: Settings,
        settings_prod: Settings) -> None:
    plan: Plan = request.getfixturevalue(plan_name)
    settings = settings_prod if plan.stack == "prod" else settings_dev
    workspace_id = plan.outputs["workspaceId"]
    assert str(workspace_id).isdigit()
    roles = {k: g.role for k, g in settings.mapped_groups.items()}
    roles |= {k: sp.role for k, sp in settings.service_principals.items()}
    ids = databricks_ids(plan, settings)
    assert set(ids.values()) == set(roles)  # every mapped principal, once
    assignments = plan.by_type(ASSIGNMENT)
    assert len(assignments) == len(roles)
    for assignment in assignments:
        key = ids[assignment.inputs["principalId"]]
        assert on(assignment, "databricks-account")
        assert assignment.inputs["workspaceId"] == workspace_id  # the numeric id, as a string
        role = roles[key]
        assert role is not None, key
        assert assignment.inputs["permissions"] == [ROLE_PRESETS[role][0]]
    for principal in plan.by_type(DBX_GROUP) + plan.by_type(DBX_SP):
        assert on(principal, "databricks-account")
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


@pytest.mark.parametrize("plan_name", ["plan_dev", "plan_prod", "plan_scim",
                                       "plan_workspace_mode"])
def test_no_mapped_principal_ends_with_zero_access(
        plan_name: str, request: pytest.FixtureRequest, settings_dev: Settings,
        settings_prod: Settings) -> None:
    """Every mapped group and identity keeps an access entitlement (workspace or SQL access),
    since the `users` baseline strips the defaults; agents get workspace access and nothing
    else; the built-in `users` group gets nothing."""
    plan: Plan = request.getfixturevalue(plan_name)
    settings = settings_prod if plan.stack == "prod" else settings_dev
    held = entitlements_by_key(plan, settings)
    mapped = {*settings.mapped_groups, *settings.service_principals}
    assert set(held) == mapped | {"users"}
    for key in mapped:
        assert held[key]["workspaceAccess"] or held[key]["databricksSqlAccess"], (
            f"{key} has no access entitlement: it could not use anything it is granted")
        if key in settings.service_principals:
            assert held[key]["allowInstancePoolCreate"] is False  # a group-only entitlement
    agents = [k for k, sp in settings.service_principals.items() if sp.role is Role.AGENT]
    assert agents
    for key in agents:
        assert held[key] == {"workspaceAccess": True, "databricksSqlAccess": False,
                             "allowClusterCreate": False, "allowInstancePoolCreate": False}
    assert not any(held["users"].values())


def test_scim_mode_declares_one_databricks_sp_per_managed_identity_client_id(
        plan_scim: Plan, settings_dev: Settings) -> None:
    client_ids = {r.outputs["clientId"] for r in plan_scim.by_type(UAMI)}
    identities = [k for k, sp in settings_dev.service_principals.items()
                  if sp.kind == "managed-identity"]
    assert len(client_ids) == len(identities) > 0
    sps = plan_scim.by_type(DBX_SP)
    for client_id in client_ids:
        assert len([s for s in sps if s.inputs.get("applicationId") == client_id]) == 1
    assert len(sps) == len(settings_dev.service_principals)


def test_aim_resolves_each_managed_identity_by_its_principal_id(
        plan_prod: Plan, settings_prod: Settings) -> None:
    account = settings_prod.databricks.account_id
    names = {lk["args"]["name"] for lk in plan_prod.lookups if lk["token"] == EXTERNAL_SP}
    identities = plan_prod.by_type(UAMI)
    assert identities
    for identity in identities:
        assert (f"accounts/{account}/external-service-principals/"
                f"{identity.outputs['principalId']}") in names


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_identities_are_protected_in_prod_only(stack: str, protected: bool) -> None:
    """SCIM mode: the account groups and service principals the stack declares."""
    plan = plan_for(stack, with_scim)
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
    """One assignment per mapped group, each under that group's config entry."""
    by_urn = {r.urn: r for r in plan_scim.resources}
    assignments = [r for r in plan_scim.by_type(APP_ROLE_ASSIGNMENT)
                   if by_urn[r.parent].type == "databricks-ml-entra:config:Group"]
    assert {a.inputs["resourceObjectId"] for a in assignments} == {SCIM_APP}
    assert not [r for r in children_of(plan_scim, PROVISIONING) if r.type == APP_ROLE_ASSIGNMENT]
    mapped = {entra_object_id(plan_scim, g.display_name): key
              for key, g in settings_dev.mapped_groups.items()}
    assert assignments
    assert sorted(a.inputs["principalObjectId"] for a in assignments) == sorted(mapped)
    for a in assignments:
        assert by_urn[a.parent].name == mapped[a.inputs["principalObjectId"]]


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
