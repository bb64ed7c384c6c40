"""Databricks identity, workspace access, model ACL and Unity Catalog grant rules."""

from __future__ import annotations

import pytest
from policy_harness import (
    DELETE,
    DEPLOYER_APP_ID,
    UNKNOWN,
    Case,
    Res,
    azuread_group_member,
    catalog_grants,
    check_case,
    compliant_stack,
    databricks_group,
    databricks_group_member,
    databricks_service_principal,
    entra_group,
    model_grants,
    model_permissions,
    passes,
    permission_assignment,
    preview,
    registered_model,
    schema_grants,
    swap,
    violation,
)

EXTERNAL_ID = "databricks-group-external-id"
SP_LINKED = "databricks-service-principal-entra-linked"
MEMBERSHIPS = "databricks-no-per-user-memberships"
VIA_GROUPS = "databricks-workspace-access-via-groups"
ADMINS = "databricks-acl-keeps-admins-and-deployer"
ALL_USERS = "databricks-acl-no-manage-for-all-users"
PRODUCTION = "databricks-production-transitions-by-service-principal"
SINGLE = "databricks-single-acl-per-object"
EVERYONE = "databricks-uc-no-grants-to-everyone"
USAGE = "databricks-uc-model-execute-has-usage"

ADMINS_MESSAGE = (
    "accessControls does not grant CAN_MANAGE to admin group(s) {missing}; keep "
    "{{'groupName': '<admin group>', 'permissionLevel': 'CAN_MANAGE'}} in every list."
)
DEPLOYER_MESSAGE = (
    "no servicePrincipalName has CAN_MANAGE; keep the deployer service principal at CAN_MANAGE "
    "so the pipeline can still manage this object."
)
PRODUCTION_FIX = (
    "; only service principals (the release pipeline) may transition models to Production - "
    "grant it to a servicePrincipalName, or add {{'principal': '{name}', 'reason': '...'}} to "
    "productionTransitionExceptions."
)
USAGE_FIX = "; grant them on the catalog and the schema (databricks Grant or Grants)."
MODEL = "ml.models.churn"


LEGACY_REGISTRY = "databricks-model-registry-unity-catalog"


def _workspace_model(name: str = "churn-legacy") -> Res:
    return Res("databricks:index/mlflowModel:MlflowModel", "mlflow-model-churn", {"name": name})


def _stack(*replacements, drop=()):
    return swap(compliant_stack(), *replacements, drop=drop)


def _single_grant(name: str, securable: str, value: str, principal: str,
                  privileges: list[str]) -> Res:
    return Res("databricks:index/grant:Grant", name, {
        securable: value, "principal": principal, "privileges": privileges})


def _acl(index: int, **entry) -> Res:
    return model_permissions().set(f"accessControls.{index}", entry)


def _memberships(count: int, depends_on: Res | None = None) -> list[Res]:
    members = [databricks_group_member(f"gm-user-{i}", str(2000 + i)) for i in range(count)]
    if depends_on is not None:
        members = [m.depends("memberId", depends_on) for m in members]
    return members


def _production(kind: str, name: str) -> str:
    return f"grants CAN_MANAGE_PRODUCTION_VERSIONS to {kind} '{name}'" + PRODUCTION_FIX.format(
        name=name)


CASES: list[Case] = [
    # --- group external id -----------------------------------------------------------------
    passes(EXTERNAL_ID, "entra-object-id", databricks_group()),
    violation(EXTERNAL_ID, "missing", databricks_group().set("externalId", DELETE),
              "externalId is not set; set it to the Entra group object id so the group is managed "
              "from Entra ID (SCIM / automatic identity management)."),
    violation(EXTERNAL_ID, "not-uuid", databricks_group().set("externalId", "ml-engineers"),
              "externalId 'ml-engineers' is not a UUID; use the Entra group object id."),
    preview(EXTERNAL_ID, "external-id", databricks_group().set("externalId", UNKNOWN),
            "externalId"),
    # --- service principals linked to Entra ------------------------------------------------
    passes(SP_LINKED, "application-id", databricks_service_principal()),
    violation(SP_LINKED, "databricks-managed",
              databricks_service_principal().set("applicationId", DELETE),
              "applicationId is not set, which creates a Databricks-managed service principal "
              "with its own secrets; set applicationId to the Entra application (client) id."),
    violation(SP_LINKED, "not-uuid", databricks_service_principal().set("applicationId", "ci"),
              "applicationId 'ci' is not a UUID; use the Entra application id."),
    preview(SP_LINKED, "application-id",
            databricks_service_principal().set("applicationId", UNKNOWN), "applicationId"),
    # --- per-user memberships (stack) ------------------------------------------------------
    passes(MEMBERSHIPS, "two", compliant_stack()),
    passes(MEMBERSHIPS, "at-threshold", compliant_stack() + _memberships(23)),
    passes(MEMBERSHIPS, "nested-groups-do-not-count",
           compliant_stack() + _memberships(40, depends_on=databricks_group())),
    violation(MEMBERSHIPS, "over-threshold", compliant_stack() + _memberships(24),
              "26 per-user group memberships are declared (25 databricks GroupMember, 1 azuread "
              "GroupMember), more than maxUserMemberships=25; manage membership in Entra ID "
              "groups synced to Databricks instead of per-user resources."),
    violation(MEMBERSHIPS, "configured", _stack(
        azuread_group_member("agm-bob", "0000000b-0000-4000-8000-000000000000"),
        azuread_group_member("agm-nested").depends("memberObjectId", entra_group())),
              "3 per-user group memberships are declared (1 databricks GroupMember, 2 azuread "
              "GroupMember), more than maxUserMemberships=2; manage membership in Entra ID "
              "groups synced to Databricks instead of per-user resources.",
              config={"maxUserMemberships": 2}),
    # --- workspace access via groups -------------------------------------------------------
    passes(VIA_GROUPS, "group", permission_assignment()),
    violation(VIA_GROUPS, "user", permission_assignment().set("groupName", DELETE).set(
        "userName", "alice@contoso.com"),
              "assigns workspace permissions directly to user 'alice@contoso.com'; assign them to "
              "an Entra-synced group (groupName) instead."),
    preview(VIA_GROUPS, "user", permission_assignment().set("userName", UNKNOWN), "userName"),
    # --- admins and deployer keep CAN_MANAGE -----------------------------------------------
    passes(ADMINS, "kept", model_permissions()),
    passes(ADMINS, "token-acl", Res("databricks:index/permissions:Permissions", "perm-tokens", {
        "authorization": "tokens",
        "accessControls": [{"groupName": "ml-engineers", "permissionLevel": "CAN_USE"}]})),
    passes(ADMINS, "unknown-other-group", _acl(3, groupName=UNKNOWN,
                                               permissionLevel="CAN_MANAGE")),
    violation(ADMINS, "no-admins", _acl(0, groupName="admins", permissionLevel="CAN_READ"),
              ADMINS_MESSAGE.format(missing="['admins']")),
    violation(ADMINS, "no-deployer", _acl(1, servicePrincipalName=DEPLOYER_APP_ID,
                                          permissionLevel="CAN_READ"), DEPLOYER_MESSAGE),
    violation(ADMINS, "empty", model_permissions().set("accessControls", []),
              ADMINS_MESSAGE.format(missing="['admins']"), DEPLOYER_MESSAGE),
    violation(ADMINS, "configured-admins", model_permissions(),
              ADMINS_MESSAGE.format(missing="['ml-platform-admins']"),
              config={"adminGroupNames": ["admins", "ml-platform-admins"]}),
    preview(ADMINS, "level", _acl(0, groupName="admins", permissionLevel=UNKNOWN),
            "accessControls.0.permissionLevel"),
    preview(ADMINS, "admin-name", _acl(0, groupName=UNKNOWN, permissionLevel="CAN_MANAGE"),
            "accessControls.0.groupName"),
    # --- no CAN_MANAGE for all users -------------------------------------------------------
    passes(ALL_USERS, "read-only", model_permissions()),
    # README: nothing is granted to all users on a model, not even CAN_READ ...
    violation(ALL_USERS, "read-on-model", _acl(4, groupName="users", permissionLevel="CAN_READ"),
              "grants CAN_READ to the 'users' group (all workspace users); grant it to a "
              "dedicated group or service principal instead."),
    # ... while other objects (a cluster policy) may still be usable by everyone.
    passes(ALL_USERS, "use-on-cluster-policy", _acl(4, groupName="users",
                                                    permissionLevel="CAN_USE").set(
        "registeredModelId", DELETE).set("clusterPolicyId", "policy-1")),
    violation(ALL_USERS, "manage", _acl(4, groupName="users", permissionLevel="CAN_MANAGE"),
              "grants CAN_MANAGE to the 'users' group (all workspace users); grant it to a "
              "dedicated group or service principal instead."),
    violation(ALL_USERS, "production", _acl(4, groupName="users",
                                            permissionLevel="CAN_MANAGE_PRODUCTION_VERSIONS"),
              "grants CAN_MANAGE_PRODUCTION_VERSIONS to the 'users' group (all workspace users); "
              "grant it to a dedicated group or service principal instead."),
    preview(ALL_USERS, "group", _acl(4, groupName=UNKNOWN, permissionLevel="CAN_MANAGE"),
            "accessControls.4.groupName"),
    # --- production transitions by service principals --------------------------------------
    passes(PRODUCTION, "release-sp", model_permissions()),
    passes(PRODUCTION, "exception-with-reason",
           _acl(3, groupName="ml-leads", permissionLevel="CAN_MANAGE_PRODUCTION_VERSIONS"),
           config={"productionTransitionExceptions": [
               {"principal": "ml-leads", "reason": "break-fix rollbacks, CHG-1234"}]}),
    violation(PRODUCTION, "group", _acl(3, groupName="ml-engineers",
                                        permissionLevel="CAN_MANAGE_PRODUCTION_VERSIONS"),
              _production("group", "ml-engineers")),
    violation(PRODUCTION, "user", _acl(3, userName="alice@contoso.com",
                                       permissionLevel="CAN_MANAGE_PRODUCTION_VERSIONS"),
              _production("user", "alice@contoso.com")),
    violation(PRODUCTION, "exception-without-reason",
              _acl(3, groupName="ml-leads", permissionLevel="CAN_MANAGE_PRODUCTION_VERSIONS"),
              "productionTransitionExceptions lists 'ml-leads' without a reason; add the reason "
              "to honour the exception.",
              config={"productionTransitionExceptions": [{"principal": "ml-leads",
                                                          "reason": " "}]}),
    preview(PRODUCTION, "level", _acl(3, groupName="ml-engineers", permissionLevel=UNKNOWN),
            "accessControls.3.permissionLevel"),
    # --- one ACL / grant set per object (stack) --------------------------------------------
    passes(SINGLE, "distinct", compliant_stack()),
    passes(SINGLE, "other-model", compliant_stack() + [
        model_permissions("perm-model-fraud", "fraud-model-id")]),
    violation(SINGLE, "duplicate-permissions", compliant_stack() + [
        model_permissions("perm-model-churn-2")],
              "2 Permissions resources ('perm-model-churn', 'perm-model-churn-2') manage "
              "registeredModelId 'churn-model-id'; keep exactly one - each is authoritative and "
              "they overwrite each other."),
    violation(SINGLE, "duplicate-grants-case-insensitive", compliant_stack() + [
        catalog_grants().with_(name="grants-catalog-ml-2").set("catalog", "ML")],
              "2 Grants resources ('grants-catalog-ml', 'grants-catalog-ml-2') manage catalog "
              "'ml'; keep exactly one - each is authoritative and they overwrite each other."),
    violation(SINGLE, "duplicate-by-dependency", _stack(
        model_permissions().set("registeredModelId", UNKNOWN)
        .depends("registeredModelId", registered_model()),
        model_permissions("perm-model-churn-2").set("registeredModelId", UNKNOWN)
        .depends("registeredModelId", registered_model())),
              "2 Permissions resources ('perm-model-churn', 'perm-model-churn-2') manage "
              "registeredModelId '<output of uc-model-churn>'; keep exactly one - each is "
              "authoritative and they overwrite each other."),
    preview(SINGLE, "object-id", _stack(model_permissions().set("registeredModelId", UNKNOWN)),
            "registeredModelId"),
    # --- no UC grants to everyone ----------------------------------------------------------
    passes(EVERYONE, "groups", catalog_grants()),
    violation(EVERYONE, "account-users", catalog_grants().set(
        "grants.2", {"principal": "account users", "privileges": ["USE_CATALOG"]}),
              "grants ['USE_CATALOG'] to 'account users' (every user); grant them to a specific "
              "group instead."),
    violation(EVERYONE, "users", model_grants().set(
        "grants.0", {"principal": "Users", "privileges": ["EXECUTE"]}),
              "grants ['EXECUTE'] to 'Users' (every user); grant them to a specific group "
              "instead."),
    preview(EVERYONE, "principal", catalog_grants().set("grants.0.principal", UNKNOWN),
            "grants.0.principal"),
    # --- EXECUTE needs USE_CATALOG / USE_SCHEMA (stack) ------------------------------------
    passes(USAGE, "usable", compliant_stack()),
    passes(USAGE, "schema-usage-from-catalog", _stack(catalog_grants().set(
        "grants.0.privileges", ["USE_CATALOG", "USE_SCHEMA"]), drop=["grants-schema-models"])),
    passes(USAGE, "model-by-dependency", _stack(
        model_grants().set("model", UNKNOWN).depends("model", registered_model()))),
    violation(USAGE, "no-schema-grant", _stack(drop=["grants-schema-models"]),
              f"'ml-engineers' has EXECUTE on model '{MODEL}' but lacks USE_SCHEMA on schema "
              "'ml.models'" + USAGE_FIX),
    violation(USAGE, "no-catalog-grant", _stack(drop=["grants-catalog-ml"]),
              f"'ml-engineers' has EXECUTE on model '{MODEL}' but lacks USE_CATALOG on catalog "
              "'ml'" + USAGE_FIX,
              f"'{DEPLOYER_APP_ID}' has EXECUTE on model '{MODEL}' but lacks USE_CATALOG on "
              "catalog 'ml' and USE_SCHEMA on schema 'ml.models'" + USAGE_FIX),
    violation(USAGE, "other-schema", _stack(schema_grants().set("schema", "ml.features")),
              f"'ml-engineers' has EXECUTE on model '{MODEL}' but lacks USE_SCHEMA on schema "
              "'ml.models'" + USAGE_FIX),
    preview(USAGE, "model", _stack(model_grants().set("model", UNKNOWN)), "model"),
    # non-authoritative single Grant resources (one principal, one securable) count as well
    passes(USAGE, "single-grant-resources", _stack(
        _single_grant("grant-schema-ml-engineers", "schema", "ml.models", "ml-engineers",
                      ["USE_SCHEMA"]),
        _single_grant("grant-schema-deployer", "schema", "ml.models", DEPLOYER_APP_ID,
                      ["USE_SCHEMA"]),
        drop=["grants-schema-models"])),
    passes(LEGACY_REGISTRY, "unity-catalog-model", registered_model()),
    violation(LEGACY_REGISTRY, "workspace-registry-model", _workspace_model(),
              "model 'churn-legacy' is in the legacy workspace model registry, which Databricks "
              "disabled for new workspaces in accounts whose default catalog is in Unity "
              "Catalog; its ACLs are workspace-local and its lineage and audit stay outside "
              "Unity Catalog. Migrate it (README, 'Legacy workspace model registry')."),
    violation(EVERYONE, "single-grant-account-users",
              _single_grant("grant-catalog-everyone", "catalog", "ml", "account users",
                            ["USE_CATALOG"]),
              "grants ['USE_CATALOG'] to 'account users' (every user); grant them to a specific "
              "group instead."),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}:{c.id}")
def test_databricks_access_rules(pack, case: Case) -> None:
    check_case(pack, case)


def test_production_transitions_are_advisory_in_dev(dev_pack) -> None:
    bad = _acl(3, groupName="ml-engineers", permissionLevel="CAN_MANAGE_PRODUCTION_VERSIONS")
    assert {d.level for d in dev_pack.analyze(bad) if d.policy == PRODUCTION} == {"advisory"}


@pytest.mark.parametrize("configured", ["pack", "dev_pack"])
def test_a_legacy_workspace_registry_model_is_flagged_advisory(
        configured: str, request: pytest.FixtureRequest) -> None:
    """`registry: workspace` stays supported, flagged (advisory, in both environments)."""
    instance = request.getfixturevalue(configured)
    found = [d for d in instance.analyze(_workspace_model()) if d.policy == LEGACY_REGISTRY]
    assert len(found) == 1
    assert found[0].level == "advisory"
    assert "model 'churn-legacy' is in the legacy workspace model registry" in found[0].message


def test_a_unity_catalog_model_is_not_flagged(pack) -> None:
    assert [d for d in pack.analyze(registered_model()) if d.policy == LEGACY_REGISTRY] == []
