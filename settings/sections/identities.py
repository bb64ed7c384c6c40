"""Entra groups and automation identities (app registrations and managed identities)."""

from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, model_validator

from settings.sections.base import NonEmpty, Strict, Uuid
from settings.sections.roles import Entitlements, Role
from settings.wellknown import GITHUB_ISSUER, TOKEN_EXCHANGE_AUDIENCE


class Group(Strict):
    """An Entra security group. ``role`` maps it into Databricks; without one it is Entra-only."""

    display_name: NonEmpty
    description: NonEmpty
    owners: list[Uuid] = Field(min_length=1)
    role: Optional[Role] = None
    entitlements: Entitlements = Field(default_factory=Entitlements)
    # An explicit member list is for small setups only; Entra owns membership otherwise.
    members: list[Uuid] = Field(default_factory=list, max_length=25)

    @property
    def is_mapped(self) -> bool:
        """Mapped into Databricks (it has a ``role``): the one owner of that fact."""
        return self.role is not None


class Federation(Strict):
    """A federated identity credential for GitHub Actions (no secret at all).

    ``environment`` pins the credential to a (protected) GitHub environment: the deployer's
    form. ``pullRequest: true`` trusts pull-request workflows of the repository instead: only
    for the read-only preview identity named by ``previewer``.
    """

    repository: str
    environment: Optional[NonEmpty] = None
    pull_request: bool = False
    issuer: str = GITHUB_ISSUER
    audience: str = TOKEN_EXCHANGE_AUDIENCE

    @model_validator(mode="after")
    def _one_subject(self) -> Federation:
        if self.pull_request and self.environment:
            raise ValueError("sets both `environment` and `pullRequest`; a credential trusts one "
                             "subject: keep `environment` (deployers) or `pullRequest: true` "
                             "(the read-only preview identity)")
        if not self.pull_request and not self.environment:
            raise ValueError("needs `environment` (the GitHub environment whose jobs may sign "
                             "in) or `pullRequest: true` for the read-only preview identity")
        return self


class Rotation(Strict):
    """Dual-slot password rotation. Each slot lives ``2 * periodDays``; slots are staggered."""

    period_days: int = Field(default=90, ge=30, le=365)
    overlap_days: int = Field(default=30, ge=7, le=180)


class KeyVaultTarget(Strict):
    """Where the current secret is written so consumers always read the newest one.

    Either ``vaultName`` (the stack declares the vault: RBAC authorization, soft delete, purge
    protection; in ``resourceGroupName``, default the workspace resource group) or ``vaultId``
    (an existing vault's ARM resource id, in the stack's subscription). Exactly one.
    """

    secret_name: NonEmpty
    vault_name: Optional[str] = None
    resource_group_name: Optional[str] = None
    vault_id: Optional[str] = None


# Key Vault names: 3-24 characters, letters, digits and '-', starting with a letter, ending
# with a letter or digit, no consecutive hyphens (globally unique DNS label).
VAULT_NAME = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
_VAULT_ID = re.compile(
    r"^/subscriptions/(?P<sub>[0-9a-fA-F-]{36})/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.KeyVault/vaults/(?P<name>[^/]+)$", re.IGNORECASE)


def parse_vault_id(vault_id: str) -> tuple[str, str, str] | None:
    """``(subscription, resource group, vault name)`` of a Key Vault resource id, or None."""
    m = _VAULT_ID.match(vault_id)
    return (m["sub"].lower(), m["rg"], m["name"]) if m else None


class IdentityFederatedCredential(Strict):
    """A federated credential on a managed identity (for example an AKS service account)."""

    issuer: str
    subject: NonEmpty
    audience: str = TOKEN_EXCHANGE_AUDIENCE


class ServicePrincipal(Strict):
    """An automation identity. Prefer ``managed-identity``, then ``federated``; ``secret`` last."""

    display_name: NonEmpty
    kind: Literal["federated", "secret", "managed-identity"]
    purpose: NonEmpty
    role: Role = Role.AUTOMATION
    entitlements: Entitlements = Field(default_factory=Entitlements)
    federation: Optional[Federation] = None
    rotation: Optional[Rotation] = None
    key_vault: Optional[KeyVaultTarget] = None
    federated_credentials: dict[str, IdentityFederatedCredential] = Field(default_factory=dict)
    owners: list[Uuid] = Field(default_factory=list)
