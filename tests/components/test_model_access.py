"""Rules over the model registry ACLs, captured from the real program under mocks."""

from __future__ import annotations

from typing import Any

import pytest

from gate.capture import Plan
from gate.model import CapturedResource
from settings import Role, Settings, SettingsError, parse
from settings.load import raw_from_stack_document
from settings.model import PRODUCTION_LEVELS, PRODUCTION_PRIVILEGES
from tests.conftest import NS, stack_document

PERMISSIONS = "databricks:index/permissions:Permissions"
GRANTS = "databricks:index/grants:Grants"
GRANT = "databricks:index/grant:Grant"
MLFLOW_MODEL = "databricks:index/mlflowModel:MlflowModel"
UC_MODEL = "databricks:index/registeredModel:RegisteredModel"
ASSIGNMENT = "databricks:index/mwsPermissionAssignment:MwsPermissionAssignment"
DBX_GROUP = "databricks:index/group:Group"
DBX_SP = "databricks:index/servicePrincipal:ServicePrincipal"
ALL_USERS = {"users", "account users"}
STACKS = ["dev", "prod"]


# --- helpers ----------------------------------------------------------------------------

def principal_keys(plan: Plan, settings: Settings) -> dict[str, str]:
    """ACL principal name (group display name, SP application id) -> config key."""
    names = {g.display_name: k for k, g in settings.groups.items()}
    names |= {app_id: k for k, app_id in plan.outputs["servicePrincipalApplicationIds"].items()}
    return names


def workspace_acl(plan: Plan, settings: Settings, acl: CapturedResource) -> dict[str, str]:
    """config key -> permission level of one Permissions resource."""
    keys = principal_keys(plan, settings)
    out = {}
    for entry in acl.inputs["accessControls"]:
        name = entry.get("groupName") or entry.get("servicePrincipalName")
        out[keys.get(name, name)] = entry["permissionLevel"]
    return out


def uc_grants(plan: Plan, settings: Settings, grants: CapturedResource) -> dict[str, set[str]]:
    """config key -> privileges of one Grants resource."""
    keys = principal_keys(plan, settings)
    return {keys.get(g["principal"], g["principal"]): set(g["privileges"])
            for g in grants.inputs["grants"]}


def operators(settings: Settings) -> set[str]:
    return {*settings.admin_groups, settings.deployer}


def the_acl(plan: Plan, model_key: str, settings: Settings) -> CapturedResource:
    """The one ACL resource of a model, found by what it points at."""
    model = settings.models[model_key]
    if model.registry == "workspace":
        registered = [m for m in plan.by_type(MLFLOW_MODEL) if m.inputs["name"] == model.name]
        assert len(registered) == 1
        acls = [p for p in plan.by_type(PERMISSIONS)
                if p.inputs["registeredModelId"] == registered[0].outputs["registeredModelId"]]
    else:
        full = f"{model.catalog}.{model.schema_}.{model.name}"
        acls = [g for g in plan.by_type(GRANTS) if g.inputs["model"] == full]
    assert len(acls) == 1, f"{model_key}: {len(acls)} ACL resources"
    return acls[0]


def every_acl_entry(plan: Plan) -> list[tuple[str, str]]:
    """(principal name, level or privilege) across every ACL resource of the plan."""
    entries = [(e.get("groupName") or e.get("servicePrincipalName") or e.get("userName"),
                e["permissionLevel"]) for p in plan.by_type(PERMISSIONS)
               for e in p.inputs["accessControls"]]
    entries += [(g["principal"], priv) for r in plan.by_type(GRANTS)
                for g in r.inputs["grants"] for priv in g["privileges"]]
    entries += [(r.inputs["principal"], priv) for r in plan.by_type(GRANT)
                for priv in r.inputs["privileges"]]
    return entries


# --- one authoritative ACL per model, operators always managers -------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_exactly_one_acl_resource_per_model(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    for key in settings.models:
        the_acl(plan, key, settings)
    assert len(plan.by_type(PERMISSIONS)) + len(plan.by_type(GRANTS)) == len(settings.models)
    assert set(plan.outputs["models"]) == set(settings.models)


@pytest.mark.parametrize("stack", STACKS)
def test_operators_always_manage_every_model(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    for key, model in settings.models.items():
        acl = the_acl(plan, key, settings)
        if model.registry == "workspace":
            levels = workspace_acl(plan, settings, acl)
            assert all(levels.get(op) == "CAN_MANAGE" for op in operators(settings)), key
            # Workspace admins always manage registered models; the provider refuses an
            # explicit `admins` entry ("not possible to modify admin permissions").
            assert "admins" not in levels
        else:
            privileges = uc_grants(plan, settings, acl)
            assert all("MANAGE" in privileges.get(op, set()) for op in operators(settings)), key
            assert "admins" not in privileges  # workspace-local: not a Unity Catalog principal


@pytest.mark.parametrize("stack", STACKS)
def test_acls_wait_for_principals_and_their_workspace_assignments(
        stack: str, request: pytest.FixtureRequest) -> None:
    """Every ACL (both registries) waits for each principal it names to be in the workspace.

    Account groups and service principals are resources (SCIM, workspace mode) or, with
    automatic identity management, the result of an account lookup whose internal id the
    workspace assignment carries; either way the ACL depends on that assignment.
    """
    plan: Plan = request.getfixturevalue(f"plan_{stack}_legacy")
    settings = load_settings(stack)
    keys = principal_keys(plan, settings)
    dbx_ids = databricks_ids(plan, settings)
    resource_of = {dbx_ids[r.id]: r.urn for r in plan.by_type(DBX_GROUP) + plan.by_type(DBX_SP)
                   if r.id in dbx_ids}
    assignment_of = {dbx_ids[a.inputs["principalId"]]: a.urn
                     for a in plan.by_type(ASSIGNMENT) if a.inputs["principalId"] in dbx_ids}
    checked = 0
    for acl, names in ([(p, [e.get("groupName") or e.get("servicePrincipalName")
                             for e in p.inputs["accessControls"]])
                        for p in plan.by_type(PERMISSIONS)]
                       + [(g, [x["principal"] for x in g.inputs["grants"]])
                          for g in plan.by_type(GRANTS)]):
        for name in names:
            key = keys[name]
            if key in resource_of:
                assert resource_of[key] in acl.dependencies, (acl.name, name)
            assert assignment_of[key] in acl.dependencies, (acl.name, name)
            checked += 1
    assert checked and plan.by_type(PERMISSIONS) and plan.by_type(GRANTS)


def databricks_ids(plan: Plan, settings: Settings) -> dict[str, str]:
    """Databricks principal id -> config key, from the resources or the AIM lookups."""
    keys = principal_keys(plan, settings)
    ids = {r.id: keys[r.inputs["displayName"]] for r in plan.by_type(DBX_GROUP)
           if r.inputs.get("displayName") in keys}
    ids |= {r.id: keys[r.inputs["applicationId"]] for r in plan.by_type(DBX_SP)
            if r.inputs.get("applicationId") in keys}
    for lookup in plan.lookups:
        result = lookup.get("result") or {}
        name = result.get("applicationId") or result.get("displayName")
        if "internalId" in result and name in keys:
            ids[result["internalId"]] = keys[name]
    return ids


def load_settings(stack: str) -> Settings:
    from settings import load_stack_file
    from tests.conftest import ROOT
    return load_stack_file(ROOT / f"Pulumi.{stack}.yaml")


# --- least privilege ----------------------------------------------------------------------

def test_prod_human_groups_never_hold_production_rights_without_an_exception(
        plan_prod: Plan, settings_prod: Settings) -> None:
    humans = set(settings_prod.groups) - operators(settings_prod)
    for key, model in settings_prod.models.items():
        acl = the_acl(plan_prod, key, settings_prod)
        if model.registry == "workspace":
            held = {k: {lvl} for k, lvl in workspace_acl(plan_prod, settings_prod, acl).items()}
            risky = set(PRODUCTION_LEVELS)
        else:
            held = uc_grants(plan_prod, settings_prod, acl)
            risky = set(PRODUCTION_PRIVILEGES)
        for principal, levels in held.items():
            if principal in humans and principal not in model.exceptions:
                assert not levels & risky, f"{key}: {principal} holds {levels & risky}"


@pytest.mark.parametrize("stack", STACKS)
def test_agents_never_hold_more_than_read_or_execute(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    app_ids = plan.outputs["servicePrincipalApplicationIds"]
    agents = {app_ids[k] for k, sp in settings.service_principals.items() if sp.role is Role.AGENT}
    assert agents
    allowed = {"CAN_READ", "EXECUTE", "USE_CATALOG", "USE_SCHEMA"}
    held = {level for name, level in every_acl_entry(plan) if name in agents}
    assert held and held <= allowed


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_is_ever_granted_to_all_users(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    names = {name.casefold() for name, _ in every_acl_entry(plan)}
    assert not names & ALL_USERS


def test_settings_refuse_a_mapped_group_named_like_a_builtin_group() -> None:
    doc = stack_document("dev")
    doc["config"][f"{NS}:groups"]["auditors"]["displayName"] = "Account Users"
    with pytest.raises(SettingsError, match="built-in Databricks group"):
        parse(raw_from_stack_document(doc, "Pulumi.dev.yaml"), stack="dev")


# --- Unity Catalog usage grants ---------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_every_model_user_can_reach_its_catalog_and_schema(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    keys = principal_keys(plan, settings)
    usage = {(keys[g.inputs["principal"]], g.inputs.get("catalog") or g.inputs.get("schema"),
              priv) for g in plan.by_type(GRANT) for priv in g.inputs["privileges"]}
    for key, model in settings.models.items():
        if model.registry != "unity-catalog":
            continue
        acl = the_acl(plan, key, settings)
        for principal, privileges in uc_grants(plan, settings, acl).items():
            if "EXECUTE" in privileges and principal not in operators(settings):
                assert (principal, model.catalog, "USE_CATALOG") in usage, (key, principal)
                schema = f"{model.catalog}.{model.schema_}"
                assert (principal, schema, "USE_SCHEMA") in usage, (key, principal)


@pytest.mark.parametrize("stack", STACKS)
def test_usage_grants_are_single_principal_and_deduplicated(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    seen: set[tuple[str, str]] = set()
    deployer = plan.outputs["servicePrincipalApplicationIds"][settings.deployer]
    for grant in plan.by_type(GRANT):
        securable = grant.inputs.get("catalog") or grant.inputs["schema"]
        pair = (grant.inputs["principal"], securable)
        assert pair not in seen, pair
        seen.add(pair)
        assert grant.inputs["privileges"] in (["USE_CATALOG"], ["USE_SCHEMA"])
        # The deployer's own catalog/schema rights are a prerequisite, never reset by a Grant.
        assert grant.inputs["principal"] != deployer


# --- protection and settings ------------------------------------------------------------

@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_models_and_acls_are_protected_in_prod_only(
        stack: str, protected: bool, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    critical = [r for t in (MLFLOW_MODEL, UC_MODEL, PERMISSIONS, GRANTS, GRANT)
                for r in plan.by_type(t)]
    assert critical and all(r.protect is protected for r in critical)


def test_workspace_identity_mode_refuses_unity_catalog_grants_to_groups() -> None:
    doc = stack_document("dev")
    config: dict[str, Any] = doc["config"]
    config[f"{NS}:databricks"]["identityMode"] = "workspace"
    config[f"{NS}:provisioning"] = {
        "mode": "scim", "scimServicePrincipalObjectId": "cccccccc-0000-0000-0000-000000000001"}
    config[f"{NS}:scimToken"] = {"secure": "v1:bW9jaw=="}
    with pytest.raises(SettingsError) as err:
        parse(raw_from_stack_document(doc, "Pulumi.dev.yaml"), stack="dev")
    keys = {p.key for p in err.value.problems}
    assert f"{NS}:models.credit-default.permissions.ml-engineers" in keys
    assert f"{NS}:models.churn-legacy.permissions.ml-engineers" not in keys  # workspace registry
