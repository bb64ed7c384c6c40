"""Key Vaults that receive the rotated passwords of ``kind: secret`` identities.

A secret-bearing identity without a destination would have two passwords nobody can retrieve,
so settings require ``keyVault`` on every such identity:

``keyVault: {secretName, vaultName[, resourceGroupName]}``
    The stack declares the vault (azure-native ``keyvault.Vault``, Azure Resource Manager,
    reachable from wherever ARM is): RBAC authorization (no access policies), soft delete with
    90 days' retention and purge protection (irreversible: a deleted vault and its secrets can
    be recovered for 90 days and never purged early). It lives in ``resourceGroupName``, by
    default the workspace resource group (created by this stack; another group must exist
    before the first deploy). Identities naming the same vault share one resource. ``destroy``
    soft-deletes it; the name stays reserved until the retention ends, so a rename is a new
    vault and the old one must be recovered or left to expire.

``keyVault: {secretName, vaultId}``
    An existing vault, by ARM resource id (in the stack's subscription, which the azure-native
    provider is pinned to). Its RBAC, soft delete and purge protection are its owner's.

Either way the current password is written as a ``keyvault.Secret`` by
:class:`components.entra_identity.EntraIdentity`, through ARM (control-plane action
``Microsoft.KeyVault/vaults/secrets/write``); consumers read it with the data-plane role
"Key Vault Secrets User", granted by the vault's owner (see ``manualSteps``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
from pulumi_azure_native import keyvault

from components._base import child, type_token
from settings import Settings
from settings.model import parse_vault_id

SOFT_DELETE_RETENTION_DAYS = 90
CONSUMER_STEP = (
    "Key Vault: grant the consumer of each secret-bearing identity ({secrets}) the data-plane "
    "role 'Key Vault Secrets User' on its secret (the vaults use RBAC authorization, so access "
    "policies are ignored); the deployer needs 'Key Vault Secrets Officer' or Contributor on the "
    "vault to write the rotated password.")


@dataclass(frozen=True)
class VaultTarget:
    """Where one identity's current password is written."""

    vault_name: pulumi.Output[str]
    resource_group_name: pulumi.Output[str]
    secret_name: str


@dataclass(frozen=True)
class SecretVaultsArgs:
    settings: Settings
    # The workspace resource group (an output, so vaults in it wait for the group).
    workspace_resource_group_name: pulumi.Input[str]

    @classmethod
    def from_settings(cls, s: Settings, *, workspace_resource_group_name: pulumi.Input[str]
                      ) -> SecretVaultsArgs:
        return cls(settings=s, workspace_resource_group_name=workspace_resource_group_name)


class SecretVaults(pulumi.ComponentResource):
    """Declared vaults (one per distinct ``vaultName``) and every identity's target."""

    targets: dict[str, VaultTarget]
    vault_ids: dict[str, pulumi.Output[str]]
    manual_steps: list[str]

    def __init__(self, name: str, args: SecretVaultsArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("secrets", "SecretVaults"), name, None, opts)
        s = args.settings
        self.targets = {}
        self.vault_ids = {}
        declared: dict[str, keyvault.Vault] = {}
        critical = s.protect_critical
        for key, sp in sorted(s.service_principals.items()):
            target = sp.key_vault
            if sp.kind != "secret" or target is None:
                continue
            if target.vault_name is not None:
                vault_name = target.vault_name
                rg: pulumi.Input[str] = (
                    target.resource_group_name
                    if target.resource_group_name is not None
                    and target.resource_group_name != s.workspace.resource_group_name
                    else args.workspace_resource_group_name)
                vault = declared.get(vault_name.casefold())
                if vault is None:
                    vault = self._vault(name, vault_name, rg, s, critical)
                    declared[vault_name.casefold()] = vault
                    self.vault_ids[vault_name] = vault.id
                self.targets[key] = VaultTarget(
                    vault_name=vault.name, resource_group_name=pulumi.Output.from_input(rg),
                    secret_name=target.secret_name)
            else:
                parsed = parse_vault_id(target.vault_id or "")
                if parsed is None:
                    raise ValueError(f"servicePrincipals.{key}.keyVault.vaultId is not a Key "
                                     "Vault resource id (settings should have refused this)")
                _, existing_rg, existing_name = parsed
                self.targets[key] = VaultTarget(
                    vault_name=pulumi.Output.from_input(existing_name),
                    resource_group_name=pulumi.Output.from_input(existing_rg),
                    secret_name=target.secret_name)
        secret_keys = sorted(self.targets)
        self.manual_steps = ([CONSUMER_STEP.format(secrets=", ".join(secret_keys))]
                             if secret_keys else [])
        self.register_outputs({"vaultIds": self.vault_ids, "manualSteps": self.manual_steps})

    def _vault(self, name: str, vault_name: str, resource_group_name: pulumi.Input[str],
               s: Settings, critical: bool) -> keyvault.Vault:
        return keyvault.Vault(
            f"{name}-{vault_name.lower()}",
            vault_name=vault_name,
            resource_group_name=resource_group_name,
            location=s.location,
            tags=s.all_tags,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=s.tenant_id,
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=SOFT_DELETE_RETENTION_DAYS,
                enable_purge_protection=True,
            ),
            opts=child(self, protect=critical))
