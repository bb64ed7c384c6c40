"""Rules for how people and automation get into Azure Databricks, on the real
program's plan: the tenant's Azure Databricks enterprise app is adopted and never deleted, only
assigned principals get a token, and the client app is a public client or SPA that never
redirects to a workspace host."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest

from components.azure_databricks_app import AZURE_DATABRICKS_APP_ID, DEFAULT_APP_ROLE_ID
from components.client_app import GRAPH_APP_ID, REQUIRED_APIS, scope_id
from gate.capture import Plan
from gate.mocks import PUBLISHED_SCOPES, _service_principal_lookup
from gate.model import CapturedResource
from settings import Settings
from tests.conftest import NS, plan_for

APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
GRANT = ("azuread:index/servicePrincipalDelegatedPermissionGrant:"
         "ServicePrincipalDelegatedPermissionGrant")
UAMI = "azure-native:managedidentity:UserAssignedIdentity"
CA_POLICY = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
REQUIRED_SCOPES = {
    GRAPH_APP_ID: {"openid", "profile", "email", "offline_access", "User.Read"},
    AZURE_DATABRICKS_APP_ID: {"user_impersonation"},
}
OUTSIDER = "cccccccc-0000-0000-0000-000000000009"


@pytest.fixture(params=("dev", "prod"))
def stack(request: pytest.FixtureRequest, plan_dev: Plan, plan_prod: Plan,
          settings_dev: Settings, settings_prod: Settings) -> tuple[Plan, Settings]:
    return {"dev": (plan_dev, settings_dev), "prod": (plan_prod, settings_prod)}[request.param]


def azure_databricks_sps(plan: Plan) -> list[CapturedResource]:
    return [sp for sp in plan.by_type(SERVICE_PRINCIPAL)
            if sp.inputs.get("clientId") == AZURE_DATABRICKS_APP_ID]


def assigned_to(plan: Plan, sp: CapturedResource) -> set[str]:
    """Principal object ids holding an app role assignment on ``sp``."""
    return {a.inputs["principalObjectId"] for a in plan.by_type(ASSIGNMENT)
            if a.inputs["resourceObjectId"] == sp.outputs["objectId"]}


def automation_object_ids(plan: Plan, settings: Settings) -> dict[str, str]:
    """Entra object ids of every automation identity (service principals and managed ids)."""
    client = {a.inputs["displayName"]: a.outputs["clientId"] for a in plan.by_type(APPLICATION)}
    sp_oid = {sp.inputs.get("clientId"): sp.outputs["objectId"]
              for sp in plan.by_type(SERVICE_PRINCIPAL)}
    mi_oid = {mi.inputs["resourceName"]: mi.outputs["principalId"] for mi in plan.by_type(UAMI)}
    return {k: (mi_oid[sp.display_name] if sp.kind == "managed-identity"
                else sp_oid[client[sp.display_name]])
            for k, sp in settings.service_principals.items()}


def client_apps(plan: Plan) -> list[CapturedResource]:
    return [a for a in plan.by_type(APPLICATION)
            if any(r.get("resourceAppId") == AZURE_DATABRICKS_APP_ID
                   for r in a.inputs.get("requiredResourceAccesses", []))]


def client_app(plan: Plan) -> CapturedResource:
    found = client_apps(plan)
    assert len(found) == 1, [a.name for a in found]
    return found[0]


def service_principal_of(plan: Plan, app: CapturedResource) -> CapturedResource:
    found = [sp for sp in plan.by_type(SERVICE_PRINCIPAL)
             if sp.inputs.get("clientId") == app.outputs["clientId"]]
    assert len(found) == 1
    return found[0]


def redirect_uris(app: CapturedResource) -> list[str]:
    return [uri for section in ("web", "singlePageApplication", "publicClient")
            for uri in (app.inputs.get(section) or {}).get("redirectUris", [])]


# --- the Azure Databricks enterprise app -----------------------------------------------------

def test_the_azure_databricks_service_principal_is_never_deleted(
        stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    sps = azure_databricks_sps(plan)
    assert len(sps) == 1, "the shipped stacks opt in: the enterprise app is adopted once"
    sp = sps[0]
    assert sp.inputs["useExisting"] is True, "adopted, never created as a new object"
    assert sp.retain_on_delete, "destroy or rename must leave the tenant's enterprise app"
    assert sp.protect is settings.is_prod


def test_only_assigned_principals_get_an_azure_databricks_token(
        stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    sp = azure_databricks_sps(plan)[0]
    assert sp.inputs["appRoleAssignmentRequired"] is True
    groups = plan.outputs["groupObjectIds"]
    expected = ({groups[k] for k in settings.mapped_groups}
                | set(automation_object_ids(plan, settings).values())
                | set(settings.conditional_access.break_glass_group_object_ids))
    assert assigned_to(plan, sp) == expected
    for a in plan.by_type(ASSIGNMENT):
        if a.inputs["resourceObjectId"] == sp.outputs["objectId"]:
            assert a.inputs["appRoleId"] == DEFAULT_APP_ROLE_ID


def test_every_automation_identity_keeps_its_azure_databricks_token(
        stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    assigned = assigned_to(plan, azure_databricks_sps(plan)[0])
    kinds = {sp.kind for sp in settings.service_principals.values()}
    assert "managed-identity" in kinds and "federated" in kinds
    for key, oid in automation_object_ids(plan, settings).items():
        assert oid in assigned, f"{key} would lose its token"


def test_a_user_outside_every_mapped_group_cannot_be_assigned_to_azure_databricks() -> None:
    def add_entra_only_group(cfg: dict[str, Any]) -> None:
        cfg[f"{NS}:groups"]["finance-readers"] = {
            "displayName": "sg-finance-readers", "description": "Entra only, no role.",
            "owners": ["aaaaaaaa-0000-0000-0000-000000000001"]}

    plan = plan_for("dev", add_entra_only_group)
    sp = azure_databricks_sps(plan)[0]
    outsider = plan.outputs["groupObjectIds"]["finance-readers"]
    assert outsider not in assigned_to(plan, sp)
    client = service_principal_of(plan, client_app(plan))
    assert outsider not in assigned_to(plan, client)


def test_additional_assignments_are_assigned_and_opting_out_adopts_nothing() -> None:
    def extra(cfg: dict[str, Any]) -> None:
        cfg[f"{NS}:azureDatabricksApp"]["additionalAssignments"] = {
            "bi-connector": {"objectId": OUTSIDER, "principalType": "servicePrincipal",
                             "reason": "Power BI gateway reads the gold tables."}}

    plan = plan_for("dev", extra)
    assert OUTSIDER in assigned_to(plan, azure_databricks_sps(plan)[0])

    def opt_out(cfg: dict[str, Any]) -> None:
        cfg[f"{NS}:azureDatabricksApp"] = {"requireAssignment": False}

    plan = plan_for("dev", opt_out)
    assert azure_databricks_sps(plan) == [], "opted out: the enterprise app is left untouched"
    assert plan.outputs["azureDatabricksAssignmentRequired"] is False


# --- the client app ----------------------------------------------------------------------------

def test_no_redirect_uri_points_at_a_workspace_host(stack: tuple[Plan, Settings]) -> None:
    plan, _ = stack
    for app in plan.by_type(APPLICATION):
        for uri in redirect_uris(app):
            host = urlsplit(uri).hostname or ""
            assert not host.endswith("azuredatabricks.net"), (app.name, uri)


def test_client_app_is_a_public_client_or_spa_with_pkce_and_no_secret(
        stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    spec = settings.client_app
    assert spec is not None
    app = client_app(plan)
    assert app.inputs[spec.platform]["redirectUris"] == spec.redirect_uris
    assert not (app.inputs.get("web") or {}).get("redirectUris"), "no confidential web platform"
    assert app.inputs["web"]["implicitGrant"] == {
        "accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False}
    assert app.inputs["fallbackPublicClientEnabled"] is False
    assert "password" not in app.inputs
    assert "groupMembershipClaims" not in app.inputs
    assert app.inputs["signInAudience"] == "AzureADMyOrg"
    assert not [p for p in plan.by_type("azuread:index/applicationPassword:ApplicationPassword")
                if p.inputs.get("applicationId") == app.id]
    for uri in redirect_uris(app):
        parts = urlsplit(uri)
        assert parts.scheme == "https" or parts.hostname in ("localhost", "127.0.0.1"), uri


def test_client_app_requests_exactly_the_published_delegated_scopes_with_consent(
        stack: tuple[Plan, Settings]) -> None:
    plan, _ = stack
    app = client_app(plan)
    requested = {r["resourceAppId"]: r["resourceAccesses"]
                 for r in app.inputs["requiredResourceAccesses"]}
    assert set(requested) == set(REQUIRED_SCOPES)
    for resource, accesses in requested.items():
        assert {a["type"] for a in accesses} == {"Scope"}, "delegated scopes only"
        assert sorted(a["id"] for a in accesses) == sorted(
            PUBLISHED_SCOPES[resource][s] for s in REQUIRED_SCOPES[resource])
    sp = service_principal_of(plan, app)
    grants = plan.by_type(GRANT)
    assert len(grants) == len(REQUIRED_SCOPES)
    for resource, scopes in REQUIRED_SCOPES.items():
        published = _service_principal_lookup({"clientId": resource})["objectId"]
        [grant] = [g.inputs for g in grants
                   if g.inputs["resourceServicePrincipalObjectId"] == published]
        assert set(grant["claimValues"]) == scopes and len(grant["claimValues"]) == len(scopes)
        assert grant["servicePrincipalObjectId"] == sp.id
        assert "userObjectId" not in grant, "admin consent for all users"


def test_only_mapped_groups_can_use_the_client_app(stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    sp = service_principal_of(plan, client_app(plan))
    assert sp.inputs["appRoleAssignmentRequired"] is True
    groups = plan.outputs["groupObjectIds"]
    assert assigned_to(plan, sp) == {groups[k] for k in settings.mapped_groups}
    assert plan.outputs["clientAppClientId"] == client_app(plan).outputs["clientId"]


def test_a_stack_without_client_app_declares_none_and_ca_targets_azure_databricks() -> None:
    def drop(cfg: dict[str, Any]) -> None:
        del cfg[f"{NS}:clientApp"]

    plan = plan_for("prod", drop)
    assert client_apps(plan) == [] and plan.by_type(GRANT) == []
    assert "clientAppClientId" not in plan.outputs
    for policy in plan.by_type(CA_POLICY):
        assert policy.inputs["conditions"]["applications"]["includedApplications"] == [
            AZURE_DATABRICKS_APP_ID]


def test_a_scope_the_tenant_does_not_publish_fails_with_its_name() -> None:
    api = REQUIRED_APIS[0]
    published = SimpleNamespace(oauth2_permission_scope_ids={"openid": "x"})
    assert scope_id(published, api, "openid") == "x"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="User.Read"):
        scope_id(published, api, "User.Read")  # type: ignore[arg-type]
