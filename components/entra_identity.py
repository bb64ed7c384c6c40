"""Entra ID automation identities: app registrations and service principals for automation.

The sign-in side lives elsewhere: who may get a token for Azure Databricks is the tenant's
Azure Databricks enterprise app (:mod:`components.azure_databricks_app`), and the optional OAuth
client of our own tools is :mod:`components.client_app`.

Automation identities
    ``federated``: an app + service principal with one GitHub Actions federated credential
    pinned to a repository environment and no password at all. ``secret``: two password slots
    rotated by :mod:`components.rotation`; the newest value is written to the identity's Key
    Vault (required by settings; declared or existing, see :mod:`components.key_vault`).
    Password values are secret outputs and are never exported.

Deployer permissions (per the azuread provider docs): ``Application.ReadWrite.All`` for apps,
service principals and credentials. The Key Vault secret is written through Azure Resource
Manager, which needs the control-plane action ``Microsoft.KeyVault/vaults/secrets/write`` on the
vault.

An identity's resources sit under its ``config:ServicePrincipal`` entry (:mod:`components.entries`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Optional

import pulumi
import pulumi_azuread as azuread
from pulumi_azure_native import keyvault

from components import rotation
from components._base import type_token
from components.entries import entry_child
from components.key_vault import VaultTarget
from settings import Settings
from settings.model import Federation, Rotation, ServicePrincipal

_CREDENTIAL_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class EntraIdentityArgs:
    """Inputs of :class:`EntraIdentity`.

    ``now`` drives password rotation; the program passes the current UTC time, tests inject a
    fixed instant. ``protect`` (``Settings.protect_critical``) applies to the app registrations and
    service principals; credentials are never protected (rotation must be able to replace them).
    """

    service_principals: dict[str, ServicePrincipal]  # kinds federated and secret only
    tenant_id: str
    protect: bool
    now: datetime = field(default_factory=_utc_now)
    tags: dict[str, str] = field(default_factory=dict)  # for the Azure resources (Key Vault)
    # kind secret: where each identity's current password goes (components.key_vault).
    vault_targets: dict[str, VaultTarget] = field(default_factory=dict)
    # The config:ServicePrincipal entry each identity's resources go under (components.entries).
    entries: Mapping[str, pulumi.Resource] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, s: Settings, *, now: Optional[datetime] = None,
                      vault_targets: Optional[dict[str, VaultTarget]] = None,
                      entries: Optional[Mapping[str, pulumi.Resource]] = None
                      ) -> EntraIdentityArgs:
        sps = {k: sp for k, sp in s.service_principals.items() if sp.kind != "managed-identity"}
        return cls(service_principals=sps, tenant_id=s.tenant_id,
                   protect=s.protect_critical, now=now or _utc_now(), tags=dict(s.all_tags),
                   vault_targets=dict(vault_targets or {}), entries=dict(entries or {}))


def github_subject(federation: Federation) -> str:
    """The OIDC subject GitHub Actions presents: a job in a repository environment, or (the
    preview identity only) a pull-request workflow, whose subject is ``repo:<o>/<r>:pull_request``
    when the job names no environment."""
    if federation.pull_request:
        return f"repo:{federation.repository}:pull_request"
    return f"repo:{federation.repository}:environment:{federation.environment}"


def credential_display_name(federation: Federation) -> str:
    """A federated credential name Entra accepts (letters, digits, '-' and '_', <= 120)."""
    raw = (f"github-{federation.repository}-pull-request" if federation.pull_request
           else f"github-{federation.repository}-{federation.environment}")
    return _CREDENTIAL_NAME.sub("-", raw).strip("-")[:120]


class EntraIdentity(pulumi.ComponentResource):
    """The automation identities (apps + service principals) and their credentials."""

    client_ids: dict[str, pulumi.Output[str]]
    object_ids: dict[str, pulumi.Output[str]]  # service principal object ids, for assignments

    def __init__(self, name: str, args: EntraIdentityArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("entra", "EntraIdentity"), name, None, opts)
        self._name = name
        self._args = args
        self.client_ids = {}
        self.object_ids = {}
        for key, spec in args.service_principals.items():
            self.client_ids[key], self.object_ids[key] = self._automation_identity(key, spec)
        self.register_outputs({
            "tenantId": args.tenant_id,
            "clientIds": self.client_ids,
            "objectIds": self.object_ids,
        })

    def _child(self, key: str, protect: bool = False) -> pulumi.ResourceOptions:
        return entry_child(self, self._args.entries.get(key), protect=protect)

    # --- automation identities --------------------------------------------------------------

    def _automation_identity(self, key: str, spec: ServicePrincipal
                             ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        owners = list(spec.owners) or None
        app = azuread.Application(
            f"{self._name}-sp-{key}",
            display_name=spec.display_name,
            description=spec.purpose,
            sign_in_audience="AzureADMyOrg",
            owners=owners,
            opts=self._child(key, protect=self._args.protect),
        )
        sp = azuread.ServicePrincipal(
            f"{self._name}-sp-{key}",
            client_id=app.client_id,
            description=spec.purpose,
            owners=owners,
            opts=self._child(key, protect=self._args.protect),
        )
        if spec.kind == "federated":
            self._federated_credential(key, spec, app)
        elif spec.kind == "secret":
            self._rotated_passwords(key, spec, app)
        else:
            raise ValueError(f"servicePrincipals.{key}: kind '{spec.kind}' is not an Entra app "
                             "identity (managed identities belong to ManagedIdentities)")
        return app.client_id, sp.object_id

    def _federated_credential(self, key: str, spec: ServicePrincipal,
                              app: azuread.Application) -> None:
        federation = spec.federation
        if federation is None:
            raise ValueError(f"servicePrincipals.{key}: kind 'federated' needs `federation`")
        azuread.ApplicationFederatedIdentityCredential(
            f"{self._name}-sp-{key}-github",
            application_id=app.id,
            display_name=credential_display_name(federation),
            description=(f"GitHub Actions, {federation.repository}, pull requests "
                         "(read-only preview)" if federation.pull_request else
                         f"GitHub Actions, {federation.repository}, environment "
                         f"{federation.environment}"),
            issuer=federation.issuer,
            subject=github_subject(federation),
            audiences=[federation.audience],
            opts=self._child(key),
        )

    def _rotated_passwords(self, key: str, spec: ServicePrincipal,
                           app: azuread.Application) -> None:
        schedule: Optional[Rotation] = spec.rotation
        if schedule is None:
            raise ValueError(f"servicePrincipals.{key}: kind 'secret' needs `rotation`")
        plan = rotation.plan_rotation(self._args.now, schedule.period_days, schedule.overlap_days)
        passwords = {
            slot.slot: azuread.ApplicationPassword(
                f"{self._name}-sp-{key}-password-{slot.slot}",
                application_id=app.id,
                display_name=f"rotation slot {slot.slot}, epoch {slot.key}",
                end_date=slot.end_date,
                rotate_when_changed={"epoch": str(slot.key)},
                opts=self._child(key),
            )
            for slot in plan.slots}
        target = self._args.vault_targets.get(key)
        if target is None:
            raise ValueError(f"servicePrincipals.{key}: kind 'secret' needs a Key Vault "
                             "destination (settings should have refused this)")
        self._publish_current(key, target, plan.current_slot, passwords[plan.current])

    def _publish_current(self, key: str, target: VaultTarget, slot: rotation.SlotPlan,
                         password: azuread.ApplicationPassword) -> None:
        """Write the newest password to Key Vault (a new secret version on each rotation)."""
        keyvault.Secret(
            f"{self._name}-sp-{key}-key-vault",
            vault_name=target.vault_name,
            resource_group_name=target.resource_group_name,
            secret_name=target.secret_name,
            tags=self._args.tags,
            properties=keyvault.SecretPropertiesArgs(
                value=pulumi.Output.secret(password.value),
                content_type="client-secret",
                attributes=keyvault.SecretAttributesArgs(
                    enabled=True, expires=int(slot.ends.timestamp())),
            ),
            opts=self._child(key),
        )
