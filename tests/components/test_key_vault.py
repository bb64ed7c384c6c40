"""Every secret-bearing identity's newest password lands in a hardened Key Vault."""

from __future__ import annotations

from typing import Any

import pytest

from gate.capture import Plan
from settings import Settings
from tests.conftest import NS, plan_for

VAULT = "azure-native:keyvault:Vault"
SECRET = "azure-native:keyvault:Secret"
STACKS = ["dev", "prod"]
EXISTING = ("/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-central-kv/"
            "providers/Microsoft.KeyVault/vaults/kv-central-secrets")


@pytest.mark.parametrize("stack", STACKS)
def test_every_secret_identity_writes_its_password_to_a_vault(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    secret_ids = [k for k, sp in settings.service_principals.items() if sp.kind == "secret"]
    assert secret_ids
    secrets = plan.by_type(SECRET)
    assert len(secrets) == len(secret_ids)
    vaults = {v.inputs["vaultName"]: v for v in plan.by_type(VAULT)}
    for key in secret_ids:
        target = settings.service_principals[key].key_vault
        assert target is not None
        (secret,) = [s for s in secrets if s.inputs["secretName"] == target.secret_name]
        vault = vaults[secret.inputs["vaultName"]]
        assert vault.urn in secret.dependencies  # written once the vault exists


@pytest.mark.parametrize("stack", STACKS)
def test_declared_vaults_use_rbac_soft_delete_and_purge_protection(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    vaults = plan.by_type(VAULT)
    assert vaults
    for vault in vaults:
        props = vault.inputs["properties"]
        assert props["enableRbacAuthorization"] is True
        assert props["enableSoftDelete"] is True
        assert props["enablePurgeProtection"] is True
        assert 7 <= props["softDeleteRetentionInDays"] <= 90
        assert "accessPolicies" not in props
        assert props["tenantId"] == settings.tenant_id
        assert vault.inputs["tags"] == settings.all_tags
        assert vault.protect is settings.is_prod


def _existing_vault(config: dict[str, Any]) -> None:
    config[f"{NS}:servicePrincipals"]["batch-scoring"]["keyVault"] = {
        "secretName": "batch-scoring-client-secret", "vaultId": EXISTING}


def test_an_existing_vault_is_used_by_id_and_not_declared() -> None:
    plan = plan_for("dev", _existing_vault)
    assert plan.by_type(VAULT) == []
    (secret,) = plan.by_type(SECRET)
    assert secret.inputs["vaultName"] == "kv-central-secrets"
    assert secret.inputs["resourceGroupName"] == "rg-central-kv"
