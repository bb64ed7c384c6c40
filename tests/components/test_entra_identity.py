"""Rules the Entra identity component must satisfy, on the real program's plan.

Every assertion reads captured registrations by wire name, as the engine and the policy pack
see them: single-tenant apps, federated identities without passwords, two overlapping password
slots for secret-bearing identities, and no secret in any stack output. The sign-in side (the
Azure Databricks enterprise app and the client app) is tested in test_sign_in.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from components.entra_identity import EntraIdentityArgs, credential_display_name
from gate.capture import Plan
from gate.model import CapturedResource, Secret
from settings import Settings
from settings.model import Federation

APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
PASSWORD = "azuread:index/applicationPassword:ApplicationPassword"
FEDERATED = ("azuread:index/applicationFederatedIdentityCredential:"
             "ApplicationFederatedIdentityCredential")
GROUP = "azuread:index/group:Group"
KEY_VAULT_SECRET = "azure-native:keyvault:Secret"
STACKS = ("dev", "prod")


# --- helpers -----------------------------------------------------------------------------

@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest, plan_dev: Plan, plan_prod: Plan,
          settings_dev: Settings, settings_prod: Settings) -> tuple[Plan, Settings]:
    return {"dev": (plan_dev, settings_dev), "prod": (plan_prod, settings_prod)}[request.param]


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
        # A declared vault lives in the workspace resource group unless one is named.
        assert secret.inputs["resourceGroupName"] == (
            target.resource_group_name or settings_prod.workspace.resource_group_name)
        assert isinstance(secret.inputs["properties"]["value"], Secret)
        app = app_by_client_id(plan_prod, plan_prod.outputs["servicePrincipalApplicationIds"][key])
        newest = max(parse_rfc3339(p.inputs["endDate"])
                     for p in credentials_of(plan_prod, PASSWORD, app))
        assert secret.inputs["properties"]["attributes"]["expires"] == int(newest.timestamp())
        assert "azure-native" in secret.provider
        assert secret.inputs["tags"] == settings_prod.all_tags


# --- outputs and protection ------------------------------------------------------------

def test_no_stack_output_carries_a_secret(stack: tuple[Plan, Settings]) -> None:
    plan, _ = stack
    assert secrets_in(plan.outputs) == []
    assert "mock-secret" not in repr(plan.outputs)


def test_outputs_name_the_tenant_and_every_automation_identity(
        stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
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
    args = EntraIdentityArgs.from_settings(settings_dev, now=fixed)
    assert args.now == fixed
    default = EntraIdentityArgs.from_settings(settings_dev)
    assert default.now.tzinfo is not None


def test_federated_credential_names_are_valid_for_entra() -> None:
    name = credential_display_name(Federation(repository="org/Repo.name", environment="prod eu"))
    assert name == "github-org-Repo-name-prod-eu"
    assert len(credential_display_name(
        Federation(repository="o/" + "r" * 200, environment="e"))) <= 120
