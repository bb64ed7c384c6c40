"""Automation identity rules: secretless identities preferred; managed identity rights match
the role they declare."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from policy_harness import (
    DELETE,
    POLICIES_DIR,
    TAGS,
    UNKNOWN,
    Case,
    Pack,
    Res,
    application,
    application_password,
    compliant_stack,
    load_config,
    model_grants,
    model_permissions,
    passes,
    preview,
    swap,
    violation,
)

SECRETLESS = "entra-prefer-secretless-identity"
ROLE = "managed-identity-role-matches-purpose"

APPLICATION = "azuread:index/application:Application"
UAMI = "azure-native:managedidentity:UserAssignedIdentity"
DB_SP = "databricks:index/servicePrincipal:ServicePrincipal"
MWS_ASSIGNMENT = "databricks:index/mwsPermissionAssignment:MwsPermissionAssignment"
WS_ASSIGNMENT = "databricks:index/permissionAssignment:PermissionAssignment"
ENTITLEMENTS = "databricks:index/entitlements:Entitlements"
GRANT = "databricks:index/grant:Grant"

AGENT_CLIENT_ID = "abababab-0000-4000-8000-00000000a9e7"
AGENT_PRINCIPAL_ID = "abababab-0000-4000-8000-0000000000b1"
AGENT_SP_ID = "7001"
BATCH_OBJECT_ID = "cdcdcdcd-0000-4000-8000-0000000000b5"
FOREIGN_APP = "/applications/efefefef-0000-4000-8000-000000000000"
ROOT = POLICIES_DIR.parent

# --- entra-prefer-secretless-identity -----------------------------------------------------

SIGNIN = "Databricks ML sign-in"
BATCH = "sp-dbx-prod-batch-scoring"
SECRETLESS_FIX = (
    "use a managed identity (workloads running on Azure) or a federated identity credential "
    "(CI, external identity providers) instead"
)


def _flagged(app: str, display: str, credentials: str) -> str:
    return (f"application '{app}' ('{display}') has {credentials}; {SECRETLESS_FIX}, or, if it "
            f"truly cannot federate, add {{'displayName': '{display}', 'reason': '...'}} to "
            "acceptedPasswordApplications.")


SIGNIN_FLAGGED = _flagged(
    "app-databricks-signin", SIGNIN,
    "2 password credentials ('pwd-signin-a', 'pwd-signin-b')")


def _accept(display: str, reason: Any = "cannot federate") -> dict[str, Any]:
    entry: dict[str, Any] = {"displayName": display}
    if reason is not None:
        entry["reason"] = reason
    return {"acceptedPasswordApplications": [entry]}


NONE_ACCEPTED: dict[str, Any] = {"acceptedPasswordApplications": []}


def batch_app(display: str = BATCH) -> Res:
    return Res(APPLICATION, "app-batch-scoring", {
        "displayName": display, "signInAudience": "AzureADMyOrg", "owners": ["owner"]},
        outputs={"objectId": BATCH_OBJECT_ID, "clientId": "cdcdcdcd-0000-4000-8000-0000000000c1"})


def batch_password(slot: str, *, linked: bool = True, display: str = BATCH) -> Res:
    password = application_password(f"pwd-batch-{slot}").set(
        "applicationId", f"/applications/{BATCH_OBJECT_ID}")
    return password.depends("applicationId", batch_app(display)) if linked else password


def batch_stack(*, linked: bool = True, display: str = BATCH) -> list[Res]:
    return [*compliant_stack(), batch_app(display),
            batch_password("a", linked=linked, display=display),
            batch_password("b", linked=linked, display=display)]


def _secretless_stack(*replacements: Res, drop: tuple[str, ...] = ()) -> list[Res]:
    return swap(compliant_stack(), *replacements, drop=drop)


# --- managed-identity-role-matches-purpose -----------------------------------------------

AGENT_LIMIT = (
    "an agent may hold only CAN_READ and EXECUTE (with USE_CATALOG/USE_SCHEMA to reach the "
    "model), no workspace ADMIN and no entitlement but workspace access"
)
AUTOMATION_LIMIT = (
    "automation may not hold ADMIN, CAN_MANAGE, MANAGE, ALL_PRIVILEGES or cluster/pool creation"
)
OTHER_LIMIT = "only the admin role may hold workspace ADMIN"
ROLE_FIX = (
    ". Remove the excess rights, or change the identity's role and purpose in the stack config "
    "if it really needs them."
)
ROLES_LIST = "admin, engineer, scientist, auditor, automation, agent"
MISSING_TAG = (
    "managed identity '{name}' has no 'databricks-role' tag; declare its Databricks role "
    f"({ROLES_LIST}) in 'databricks-role' and why it exists in 'purpose' so its rights can be "
    "checked against its purpose."
)


def _excess(role: str, limit: str, *rights: str) -> str:
    return (f"managed identity 'mi-risk-agent' declares databricks-role '{role}' but holds "
            f"{', '.join(rights)}; {limit}{ROLE_FIX}")


def identity(role: Any = "agent") -> Res:
    tags = {**TAGS, "purpose": "AI agent that reads credit-risk models; read-only."}
    if role is not None:
        tags["databricks-role"] = role
    return Res(UAMI, "mi-risk-agent", {
        "resourceName": "mi-risk-agent", "resourceGroupName": "rg-ml-prod", "tags": tags},
        outputs={"clientId": AGENT_CLIENT_ID, "principalId": AGENT_PRINCIPAL_ID})


def agent_sp(*, linked: bool = True) -> Res:
    sp = Res(DB_SP, "dbx-sp-risk-agent", {"applicationId": AGENT_CLIENT_ID,
                                          "displayName": "mi-risk-agent", "force": True})
    return sp.depends("applicationId", identity()) if linked else sp


def assignment(*permissions: str, token: str = MWS_ASSIGNMENT) -> Res:
    return Res(token, "assign-risk-agent", {
        "workspaceId": "1234567890", "principalId": AGENT_SP_ID,
        "permissions": list(permissions or ("USER",))}).depends("principalId", agent_sp())


def entitlements(**flags: bool) -> Res:
    props = {"servicePrincipalId": AGENT_SP_ID, "workspaceAccess": False,
             "databricksSqlAccess": False, "allowClusterCreate": False,
             "allowInstancePoolCreate": False, **flags}
    return Res(ENTITLEMENTS, "entitlements-risk-agent", props).depends(
        "servicePrincipalId", agent_sp())


def acl(level: str = "CAN_READ") -> Res:
    return model_permissions().set(
        "accessControls.5", {"servicePrincipalName": AGENT_CLIENT_ID, "permissionLevel": level})


def grants(*privileges: str) -> Res:
    return model_grants().set(
        "grants.2", {"principal": AGENT_CLIENT_ID, "privileges": list(privileges or ("EXECUTE",))})


def use_catalog(*privileges: str) -> Res:
    return Res(GRANT, "grant-catalog-risk-agent", {
        "catalog": "ml", "principal": AGENT_CLIENT_ID,
        "privileges": list(privileges or ("USE_CATALOG",))}).depends("principal", agent_sp())


AIM_INTERNAL_ID = "7000000000000007"


def aim_assignment(*permissions: str) -> Res:
    """Assignment of the id the account's external-principal lookup returned for the identity
    (computed from the identity's principal id, so it depends on the identity)."""
    return Res(MWS_ASSIGNMENT, "assign-risk-agent", {
        "workspaceId": "1234567890", "principalId": AIM_INTERNAL_ID,
        "permissions": list(permissions or ("USER",))}).depends("principalId", identity())


def aim_entitlements(**flags: bool) -> Res:
    props = {"servicePrincipalId": AIM_INTERNAL_ID, "workspaceAccess": True,
             "databricksSqlAccess": False, "allowClusterCreate": False,
             "allowInstancePoolCreate": False, **flags}
    return Res(ENTITLEMENTS, "entitlements-risk-agent", props).depends(
        "servicePrincipalId", identity())


def aim_agent_stack(*replacements: Res) -> list[Res]:
    """The agent resolved by automatic identity management: no Databricks SP resource."""
    base = swap(compliant_stack(), identity(), aim_assignment(), aim_entitlements(), acl(),
                grants(), use_catalog().depends("principal", identity()))
    return swap(base, *replacements)


def agent_stack(*replacements: Res, role: Any = "agent") -> list[Res]:
    """The compliant stack plus a read-only agent identity mapped into Databricks."""
    base = swap(compliant_stack(), identity(role), agent_sp(), assignment(), entitlements(),
                acl(), grants(), use_catalog())
    return swap(base, *replacements)


CASES: list[Case] = [
    # --- prefer secretless identities --------------------------------------------------------
    passes(SECRETLESS, "accepted-with-reason", compliant_stack()),
    passes(SECRETLESS, "no-passwords", _secretless_stack(drop=("pwd-signin-a", "pwd-signin-b")),
           config=NONE_ACCEPTED),
    passes(SECRETLESS, "display-name-case-insensitive", compliant_stack(),
           config=_accept(SIGNIN.upper())),
    passes(SECRETLESS, "batch-accepted", batch_stack(),
           config={"acceptedPasswordApplications": [
               {"displayName": SIGNIN, "reason": "fixture"},
               {"displayName": BATCH, "reason": "on-premises scheduler without OIDC"}]}),
    violation(SECRETLESS, "not-accepted", compliant_stack(), SIGNIN_FLAGGED,
              config=NONE_ACCEPTED),
    violation(SECRETLESS, "other-application-accepted", compliant_stack(), SIGNIN_FLAGGED,
              config=_accept(BATCH)),
    violation(SECRETLESS, "entry-without-reason", compliant_stack(),
              f"acceptedPasswordApplications lists '{SIGNIN}' without a reason; add the reason "
              "to honour the exception.", config=_accept(SIGNIN, reason=None)),
    violation(SECRETLESS, "entry-with-blank-reason", compliant_stack(),
              f"acceptedPasswordApplications lists '{SIGNIN}' without a reason; add the reason "
              "to honour the exception.", config=_accept(SIGNIN, reason="  ")),
    violation(SECRETLESS, "one-slot", _secretless_stack(drop=("pwd-signin-b",)),
              _flagged("app-databricks-signin", SIGNIN, "1 password credential ('pwd-signin-a')"),
              config=NONE_ACCEPTED),
    violation(SECRETLESS, "joined-by-dependency", batch_stack(),
              _flagged("app-batch-scoring", BATCH,
                       "2 password credentials ('pwd-batch-a', 'pwd-batch-b')")),
    violation(SECRETLESS, "joined-by-object-id", batch_stack(linked=False),
              _flagged("app-batch-scoring", BATCH,
                       "2 password credentials ('pwd-batch-a', 'pwd-batch-b')")),
    violation(SECRETLESS, "application-outside-the-stack", _secretless_stack(
        application_password("pwd-foreign").set("applicationId", FOREIGN_APP)),
              f"application '{FOREIGN_APP}' (not declared in this stack) has 1 password "
              f"credential ('pwd-foreign'); {SECRETLESS_FIX}."),
    preview(SECRETLESS, "application-id", _secretless_stack(
        application_password("pwd-signin-a").set("applicationId", UNKNOWN)), "applicationId"),
    preview(SECRETLESS, "display-name", _secretless_stack(
        application().set("displayName", UNKNOWN)), "displayName"),
    # --- managed identity role matches purpose ----------------------------------------------
    passes(ROLE, "compliant-stack", compliant_stack()),
    passes(ROLE, "read-only-agent", agent_stack()),
    passes(ROLE, "joined-by-client-id", agent_stack(agent_sp(linked=False))),
    passes(ROLE, "unmapped-identity", swap(compliant_stack(), identity())),
    passes(ROLE, "automation-runs-and-releases", agent_stack(
        acl("CAN_MANAGE_PRODUCTION_VERSIONS"), entitlements(workspaceAccess=True),
        grants("EXECUTE", "APPLY_TAG"), role="automation")),
    passes(ROLE, "engineer-may-manage", agent_stack(
        acl("CAN_MANAGE"), grants("MANAGE"), entitlements(allowClusterCreate=True),
        role="engineer")),
    passes(ROLE, "admin-may-administer", agent_stack(assignment("ADMIN"), role="admin")),
    passes(ROLE, "preview-joined-by-dependency", agent_stack(
        agent_sp().set("applicationId", UNKNOWN),
        assignment().set("principalId", UNKNOWN),
        entitlements().set("servicePrincipalId", UNKNOWN))),
    violation(ROLE, "agent-workspace-admin", agent_stack(assignment("ADMIN")),
              _excess("agent", AGENT_LIMIT, "workspace ADMIN ('assign-risk-agent')")),
    violation(ROLE, "agent-workspace-admin-in-preview", agent_stack(
        agent_sp().set("applicationId", UNKNOWN),
        assignment("ADMIN").set("principalId", UNKNOWN)),
              _excess("agent", AGENT_LIMIT, "workspace ADMIN ('assign-risk-agent')")),
    violation(ROLE, "agent-workspace-admin-by-workspace-assignment", agent_stack(
        assignment("ADMIN", token=WS_ASSIGNMENT)),
              _excess("agent", AGENT_LIMIT, "workspace ADMIN ('assign-risk-agent')")),
    passes(ROLE, "agent-may-call-the-workspace", agent_stack(entitlements(workspaceAccess=True))),
    violation(ROLE, "agent-interactive", agent_stack(
        entitlements(workspaceAccess=True, databricksSqlAccess=True)),
              _excess("agent", AGENT_LIMIT,
                      "entitlement databricksSqlAccess ('entitlements-risk-agent')")),
    # Automatic identity management: no Databricks service principal resource; the account
    # lookup by the identity's object id yields the id the assignment and entitlements carry.
    passes(ROLE, "aim-read-only-agent", aim_agent_stack()),
    violation(ROLE, "aim-agent-sql-access", aim_agent_stack(
        aim_entitlements(workspaceAccess=True, databricksSqlAccess=True)),
              _excess("agent", AGENT_LIMIT,
                      "entitlement databricksSqlAccess ('entitlements-risk-agent')")),
    violation(ROLE, "aim-agent-workspace-admin", aim_agent_stack(aim_assignment("ADMIN")),
              _excess("agent", AGENT_LIMIT, "workspace ADMIN ('assign-risk-agent')")),
    violation(ROLE, "agent-entitled-on-its-service-principal", agent_stack(
        agent_sp().set("allowClusterCreate", True)),
              _excess("agent", AGENT_LIMIT,
                      "entitlement allowClusterCreate ('dbx-sp-risk-agent')")),
    violation(ROLE, "agent-edits", agent_stack(acl("CAN_EDIT")),
              _excess("agent", AGENT_LIMIT, "permission CAN_EDIT ('perm-model-churn')")),
    violation(ROLE, "agent-manages-model", agent_stack(grants("EXECUTE", "MANAGE")),
              _excess("agent", AGENT_LIMIT,
                      "privilege MANAGE on model 'ml.models.churn' ('grants-model-churn')")),
    violation(ROLE, "agent-all-privileges-on-catalog", agent_stack(
        use_catalog("USE_CATALOG", "ALL_PRIVILEGES")),
              _excess("agent", AGENT_LIMIT,
                      "privilege ALL_PRIVILEGES on catalog 'ml' ('grant-catalog-risk-agent')")),
    violation(ROLE, "agent-everything-at-once", agent_stack(
        assignment("ADMIN"), entitlements(allowInstancePoolCreate=True), acl("CAN_MANAGE"),
        grants("ALL_PRIVILEGES")),
              _excess("agent", AGENT_LIMIT, "workspace ADMIN ('assign-risk-agent')",
                      "entitlement allowInstancePoolCreate ('entitlements-risk-agent')",
                      "permission CAN_MANAGE ('perm-model-churn')",
                      "privilege ALL_PRIVILEGES on model 'ml.models.churn' "
                      "('grants-model-churn')")),
    violation(ROLE, "automation-manages", agent_stack(
        acl("CAN_MANAGE"), grants("EXECUTE", "MANAGE"), role="automation"),
              _excess("automation", AUTOMATION_LIMIT, "permission CAN_MANAGE ('perm-model-churn')",
                      "privilege MANAGE on model 'ml.models.churn' ('grants-model-churn')")),
    violation(ROLE, "automation-creates-clusters", agent_stack(
        entitlements(workspaceAccess=True, allowClusterCreate=True), role="automation"),
              _excess("automation", AUTOMATION_LIMIT,
                      "entitlement allowClusterCreate ('entitlements-risk-agent')")),
    violation(ROLE, "automation-admin", agent_stack(assignment("ADMIN"), role="automation"),
              _excess("automation", AUTOMATION_LIMIT, "workspace ADMIN ('assign-risk-agent')")),
    violation(ROLE, "engineer-admin", agent_stack(assignment("ADMIN"), role="engineer"),
              _excess("engineer", OTHER_LIMIT, "workspace ADMIN ('assign-risk-agent')")),
    violation(ROLE, "no-role-tag", agent_stack(role=None),
              MISSING_TAG.format(name="mi-risk-agent")),
    violation(ROLE, "no-tags", swap(compliant_stack(), identity().set("tags", DELETE)),
              MISSING_TAG.format(name="mi-risk-agent")),
    violation(ROLE, "unknown-role", agent_stack(role="superuser"),
              f"managed identity 'mi-risk-agent' declares databricks-role 'superuser', which is "
              f"not one of {ROLES_LIST}; tag it with the role preset it is deployed with."),
    preview(ROLE, "role-tag", agent_stack(identity().set("tags.databricks-role", UNKNOWN)),
            "tags.databricks-role"),
    preview(ROLE, "untraceable-service-principal", agent_stack(
        agent_sp(linked=False).set("applicationId", UNKNOWN)), "applicationId"),
    preview(ROLE, "acl-entry", agent_stack(
        acl().set("accessControls.5.servicePrincipalName", UNKNOWN)
        .depends("accessControls", agent_sp())),
            "accessControls.5.servicePrincipalName"),
    preview(ROLE, "untraceable-entitlements", agent_stack(
        Res(ENTITLEMENTS, "entitlements-risk-agent", {
            "servicePrincipalId": UNKNOWN, "workspaceAccess": False})),
            "servicePrincipalId"),
]


def check(pack: Pack, case: Case) -> None:
    """Exact messages; the secretless rule is advisory (prod.json), the role rule mandatory."""
    found = case.run(pack)
    assert [d.message for d in found] == list(case.expected)
    for diagnostic in found:
        advisory = case.rule == SECRETLESS or diagnostic.message.startswith("can't run policy")
        assert diagnostic.level == ("advisory" if advisory else "mandatory"), diagnostic


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}:{c.id}")
def test_identity_rules(pack: Pack, case: Case) -> None:
    check(pack, case)


def test_violations_name_the_application_and_the_identity(pack: Pack) -> None:
    config = load_config("prod")
    pack.configure({**config, SECRETLESS: {**config[SECRETLESS], **NONE_ACCEPTED}})
    found = [d for d in pack.analyze_stack(batch_stack()) if d.policy == SECRETLESS]
    assert [d.urn for d in found] == [application().urn, batch_app().urn]
    found = [d for d in pack.analyze_stack(agent_stack(assignment("ADMIN")))
             if d.policy == ROLE]
    assert [d.urn for d in found] == [identity().urn]


# --- the shipped configs ------------------------------------------------------------------


def _shipped_batch_scoring(env: str) -> tuple[dict[str, Any], str]:
    """The shipped policy config of ``env`` and the display name of its batch-scoring identity."""
    config = json.loads((POLICIES_DIR / "config" / f"{env}.json").read_text())
    stack = yaml.safe_load((ROOT / f"Pulumi.{env}.yaml").read_text())
    sp = stack["config"]["databricks-ml-entra:servicePrincipals"]["batch-scoring"]
    assert sp["kind"] == "secret"
    return config, sp["displayName"]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_shipped_configs_accept_batch_scoring_with_a_reason(env: str) -> None:
    config, display = _shipped_batch_scoring(env)
    entry = config[SECRETLESS]
    assert entry["enforcementLevel"] == "advisory"
    (accepted,) = entry["acceptedPasswordApplications"]
    assert accepted["displayName"] == display
    assert "cannot" in accepted["reason"] and len(accepted["reason"]) > 40


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_batch_scoring_is_flagged_without_its_entry(env: str) -> None:
    config, display = _shipped_batch_scoring(env)
    stack = [batch_app(display), batch_password("a", display=display),
             batch_password("b", display=display)]
    pack = Pack()
    pack.configure_stack(env)
    pack.configure(config)
    assert [d for d in pack.analyze_stack(stack) if d.policy == SECRETLESS] == []
    config[SECRETLESS]["acceptedPasswordApplications"] = []
    pack.configure(config)
    found = [d for d in pack.analyze_stack(stack) if d.policy == SECRETLESS]
    assert [(d.message, d.level) for d in found] == [(
        _flagged("app-batch-scoring", display,
                 "2 password credentials ('pwd-batch-a', 'pwd-batch-b')"), "advisory")]


def test_role_rule_is_mandatory_in_dev(dev_pack: Pack) -> None:
    found = [d for d in dev_pack.analyze_stack(agent_stack(assignment("ADMIN")))
             if d.policy == ROLE]
    assert [d.level for d in found] == ["mandatory"]

