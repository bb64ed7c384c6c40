"""Rules the Entra identity component must satisfy, on the real program's plan (issue 3).

Every assertion reads captured registrations by wire name, as the engine and the policy pack
see them: single-tenant apps, HTTPS redirect URIs, consent for exactly the requested scopes,
assignment-gated sign-in, federated identities without passwords, two overlapping password
slots for secret-bearing identities, and no secret in any stack output.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from components.entra_identity import (
    AZURE_DATABRICKS_APP_ID,
    DEFAULT_APP_ROLE_ID,
    GRAPH_APP_ID,
    REQUIRED_APIS,
    EntraIdentityArgs,
    credential_display_name,
    scope_id,
)
from gate.capture import Plan
from gate.mocks import PUBLISHED_SCOPES, _service_principal_lookup
from gate.model import CapturedResource, Secret
from settings import Settings
from settings.model import Federation

APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
PASSWORD = "azuread:index/applicationPassword:ApplicationPassword"
FEDERATED = ("azuread:index/applicationFederatedIdentityCredential:"
             "ApplicationFederatedIdentityCredential")
GRANT = ("azuread:index/servicePrincipalDelegatedPermissionGrant:"
         "ServicePrincipalDelegatedPermissionGrant")
ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
GROUP = "azuread:index/group:Group"
KEY_VAULT_SECRET = "azure-native:keyvault:Secret"
STACKS = ("dev", "prod")
REQUIRED_SCOPES = {
    GRAPH_APP_ID: {"openid", "profile", "email", "offline_access", "User.Read"},
    AZURE_DATABRICKS_APP_ID: {"user_impersonation"},
}


# --- helpers -----------------------------------------------------------------------------

@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest, plan_dev: Plan, plan_prod: Plan,
          settings_dev: Settings, settings_prod: Settings) -> tuple[Plan, Settings]:
    return {"dev": (plan_dev, settings_dev), "prod": (plan_prod, settings_prod)}[request.param]


def sign_in_app(plan: Plan) -> CapturedResource:
    """The application that requests Azure Databricks user_impersonation."""
    found = [a for a in plan.by_type(APPLICATION)
             if any(r.get("resourceAppId") == AZURE_DATABRICKS_APP_ID
                    for r in a.inputs.get("requiredResourceAccesses", []))]
    assert len(found) == 1, [a.name for a in found]
    return found[0]


def service_principal_of(plan: Plan, app: CapturedResource) -> CapturedResource:
    found = [sp for sp in plan.by_type(SERVICE_PRINCIPAL)
             if sp.inputs.get("clientId") == app.outputs["clientId"]]
    assert len(found) == 1, f"{app.name} has {len(found)} service principals"
    return found[0]


def app_by_client_id(plan: Plan, client_id: str) -> CapturedResource:
    found = [a for a in plan.by_type(APPLICATION) if a.outputs.get("clientId") == client_id]
    assert len(found) == 1, f"no single application has client id {client_id}"
    return found[0]


def credentials_of(plan: Plan, token: str, app: CapturedResource) -> list[CapturedResource]:
    return [c for c in plan.by_type(token) if c.inputs.get("applicationId") == app.id]


def parse_rfc3339(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def secrets_in(value: Any) -> list[Any]:
    """Every Secret marker anywhere inside a decoded value."""
    if isinstance(value, Secret):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in secrets_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in secrets_in(v)]
    return []


def identity_client_ids(plan: Plan, settings: Settings, kind: str) -> dict[str, str]:
    ids = plan.outputs["servicePrincipalApplicationIds"]
    return {k: ids[k] for k, sp in settings.service_principals.items() if sp.kind == kind}


# --- applications ------------------------------------------------------------------------------

def test_no_application_is_multi_tenant(stack: tuple[Plan, Settings]) -> None:
    plan, _ = stack
    apps = plan.by_type(APPLICATION)
    assert apps
    for app in apps:
        assert app.inputs.get("signInAudience") == "AzureADMyOrg", app.name


def test_every_redirect_uri_is_https_without_wildcards(stack: tuple[Plan, Settings]) -> None:
    plan, _ = stack
    for app in plan.by_type(APPLICATION):
        for section in ("web", "singlePageApplication", "publicClient"):
            for uri in app.inputs.get(section, {}).get("redirectUris", []):
                assert uri.startswith("https://") and "*" not in uri, (app.name, uri)
    assert sign_in_app(plan).inputs["web"]["redirectUris"]


def test_sign_in_app_has_no_implicit_grant_and_emits_security_groups(
        stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    app = sign_in_app(plan)
    assert app.inputs["web"]["implicitGrant"] == {
        "accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False}
    assert app.inputs["groupMembershipClaims"] == ["SecurityGroup"]
    assert sorted(app.inputs["owners"]) == sorted(settings.sign_in_app.owners)


def test_sign_in_app_requests_exactly_the_published_delegated_scopes(
        stack: tuple[Plan, Settings]) -> None:
    plan, _ = stack
    requested = {r["resourceAppId"]: r["resourceAccesses"]
                 for r in sign_in_app(plan).inputs["requiredResourceAccesses"]}
    assert set(requested) == set(REQUIRED_SCOPES)
    for resource, accesses in requested.items():
        assert {a["type"] for a in accesses} == {"Scope"}, "delegated scopes only, no app roles"
        published = PUBLISHED_SCOPES[resource]
        assert sorted(a["id"] for a in accesses) == sorted(
            published[s] for s in REQUIRED_SCOPES[resource])


def test_admin_consent_covers_exactly_the_required_scopes_per_resource(
        stack: tuple[Plan, Settings]) -> None:
    plan, _ = stack
    sign_in_sp = service_principal_of(plan, sign_in_app(plan))
    grants = plan.by_type(GRANT)
    assert len(grants) == len(REQUIRED_SCOPES)
    for resource, scopes in REQUIRED_SCOPES.items():
        published_sp = _service_principal_lookup({"clientId": resource})["objectId"]
        matching = [g for g in grants
                    if g.inputs["resourceServicePrincipalObjectId"] == published_sp]
        assert len(matching) == 1, f"one grant for {resource}"
        grant = matching[0].inputs
        assert set(grant["claimValues"]) == scopes
        assert len(grant["claimValues"]) == len(scopes)
        assert grant["servicePrincipalObjectId"] == sign_in_sp.id
        assert "userObjectId" not in grant, "consent is for all users"


def test_only_assigned_groups_can_sign_in(stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    sp = service_principal_of(plan, sign_in_app(plan))
    assert sp.inputs["appRoleAssignmentRequired"] is True
    mapped = {plan.outputs["groupObjectIds"][k] for k in settings.mapped_groups}
    assignments = plan.by_type(ASSIGNMENT)
    assert {a.inputs["principalObjectId"] for a in assignments} == mapped
    assert len(assignments) == len(mapped)
    for a in assignments:
        assert a.inputs["resourceObjectId"] == sp.id
        assert a.inputs["appRoleId"] == DEFAULT_APP_ROLE_ID


# --- automation identities ---------------------------------------------------------------------

def test_federated_identities_have_one_pinned_credential_and_zero_passwords(
        stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    federated = identity_client_ids(plan, settings, "federated")
    assert federated
    for key, client_id in federated.items():
        app = app_by_client_id(plan, client_id)
        fed = settings.service_principals[key].federation
        assert fed is not None
        assert credentials_of(plan, PASSWORD, app) == []
        (credential,) = credentials_of(plan, FEDERATED, app)
        # Deployers and automation: one protected environment. Only the read-only preview
        # identity trusts pull-request workflows.
        assert credential.inputs["subject"] == (
            f"repo:{fed.repository}:pull_request" if key == settings.previewer
            else f"repo:{fed.repository}:environment:{fed.environment}")
        assert credential.inputs["issuer"] == fed.issuer
        assert credential.inputs["audiences"] == [fed.audience]
        service_principal_of(plan, app)


def test_secret_identities_have_two_overlapping_password_slots(
        stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    now = datetime.now(UTC)
    secret = identity_client_ids(plan, settings, "secret")
    assert secret
    for key, client_id in secret.items():
        schedule = settings.service_principals[key].rotation
        assert schedule is not None
        app = app_by_client_id(plan, client_id)
        passwords = credentials_of(plan, PASSWORD, app)
        assert len(passwords) == 2, f"{key}: two slots"
        assert credentials_of(plan, FEDERATED, app) == []
        ends = sorted(parse_rfc3339(p.inputs["endDate"]) for p in passwords)
        assert all(end > now for end in ends), "both slots are valid now"
        assert ends[1] - ends[0] == timedelta(days=schedule.period_days), "staggered by P"
        assert ends[1] - now > timedelta(days=schedule.period_days), "newest has a full period"
        assert ends[1] - now <= timedelta(days=2 * schedule.period_days), "lives at most 2P"
        assert len({p.inputs["rotateWhenChanged"]["epoch"] for p in passwords}) == 2
        for p in passwords:
            assert "endDateRelative" not in p.inputs
            assert not p.delete_before_replace, "replacement must create before delete"
            assert not p.protect, "protect would block rotation"


def test_the_newest_password_reaches_key_vault_as_a_secret(plan_prod: Plan,
                                                            settings_prod: Settings) -> None:
    targets = {k: sp.key_vault for k, sp in settings_prod.service_principals.items()
               if sp.key_vault is not None}
    assert targets
    secrets = plan_prod.by_type(KEY_VAULT_SECRET)
    assert len(secrets) == len(targets)
    for key, target in targets.items():
        (secret,) = [s for s in secrets if s.inputs["secretName"] == target.secret_name]
        assert secret.inputs["vaultName"] == target.vault_name
        assert secret.inputs["resourceGroupName"] == target.resource_group_name
        assert isinstance(secret.inputs["properties"]["value"], Secret)
        app = app_by_client_id(plan_prod, plan_prod.outputs["servicePrincipalApplicationIds"][key])
        newest = max(parse_rfc3339(p.inputs["endDate"])
                     for p in credentials_of(plan_prod, PASSWORD, app))
        assert secret.inputs["properties"]["attributes"]["expires"] == int(newest.timestamp())
        assert "azure-native" in secret.provider
        assert secret.inputs["tags"] == settings_prod.all_tags


def test_dev_writes_no_key_vault_secret(plan_dev: Plan) -> None:
    assert plan_dev.by_type(KEY_VAULT_SECRET) == []


# --- outputs and protection ------------------------------------------------------------

def test_no_stack_output_carries_a_secret(stack: tuple[Plan, Settings]) -> None:
    plan, _ = stack
    assert secrets_in(plan.outputs) == []
    assert "mock-secret" not in repr(plan.outputs)


def test_outputs_name_the_sign_in_app_the_tenant_and_every_automation_identity(
        stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    assert plan.outputs["signInClientId"] == sign_in_app(plan).outputs["clientId"]
    assert plan.outputs["tenantId"] == settings.tenant_id
    ids = plan.outputs["servicePrincipalApplicationIds"]
    assert set(ids) == set(settings.service_principals)
    for key, sp in settings.service_principals.items():
        if sp.kind != "managed-identity":
            assert app_by_client_id(plan, ids[key]).inputs["displayName"] == sp.display_name


def test_identities_are_protected_in_prod_only(plan_dev: Plan, plan_prod: Plan) -> None:
    for token in (APPLICATION, SERVICE_PRINCIPAL):
        assert all(r.protect for r in plan_prod.by_type(token) if r.custom)
        assert not any(r.protect for r in plan_dev.by_type(token))


# --- pure helpers --------------------------------------------------------------------------------

def test_the_program_clock_is_injectable(settings_dev: Settings) -> None:
    fixed = datetime(2030, 1, 2, tzinfo=UTC)
    args = EntraIdentityArgs.from_settings(settings_dev, group_object_ids={}, now=fixed)
    assert args.now == fixed
    default = EntraIdentityArgs.from_settings(settings_dev, group_object_ids={})
    assert default.now.tzinfo is not None


def test_a_scope_the_tenant_does_not_publish_fails_with_its_name() -> None:
    api = REQUIRED_APIS[0]
    published = SimpleNamespace(oauth2_permission_scope_ids={"openid": "x"})
    assert scope_id(published, api, "openid") == "x"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="User.Read"):
        scope_id(published, api, "User.Read")  # type: ignore[arg-type]


def test_federated_credential_names_are_valid_for_entra() -> None:
    name = credential_display_name(Federation(repository="org/Repo.name", environment="prod eu"))
    assert name == "github-org-Repo-name-prod-eu"
    assert len(credential_display_name(
        Federation(repository="o/" + "r" * 200, environment="e"))) <= 120
