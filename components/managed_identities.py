"""User-assigned managed identities for automation and agents.

One ``managedidentity.UserAssignedIdentity`` per service principal of kind ``managed-identity``,
named by its ``displayName`` (which becomes the Entra display name of its service principal),
in the workspace resource group and tagged: the stack tags plus its declared Databricks role and
purpose (``databricks-role``, ``purpose``), which a policy checks its actual rights against. Each
``federatedCredentials`` entry becomes a ``FederatedIdentityCredential`` (issuer, subject,
audience) so that, for example, an AKS service account signs in as the identity with no secret
at all. A managed identity has no password or certificate to create, so nothing here (or
anywhere) issues one for it.

The Databricks service principal of a managed identity uses the identity's client id as its
application id (``client_ids``); ``principal_ids`` are the Entra object ids, for Azure role
assignments. Deleting an identity changes both ids and breaks every trust and grant made to it.

Azure refuses concurrent writes of federated credentials on one identity, so the credentials
of an identity are created one after another. An identity and its credentials sit under its
``config:ServicePrincipal`` entry (:mod:`components.entries`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_azure_native.managedidentity as managedidentity

from components._base import type_token
from components.entries import entry_child
from settings import Settings
from settings.model import IdentityFederatedCredential, ServicePrincipal

ROLE_TAG = "databricks-role"
PURPOSE_TAG = "purpose"
TAG_VALUE_MAX = 256


@dataclass(frozen=True)
class ManagedIdentitiesArgs:
    """The managed-identity service principals (by config key) and where to create them."""

    identities: dict[str, ServicePrincipal]  # kind managed-identity only
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    # The config:ServicePrincipal entry each identity's resources go under (components.entries).
    entries: Mapping[str, pulumi.Resource] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, s: Settings, *, resource_group_name: pulumi.Input[str],
                      entries: Optional[Mapping[str, pulumi.Resource]] = None
                      ) -> ManagedIdentitiesArgs:
        ids = {k: sp for k, sp in s.service_principals.items() if sp.kind == "managed-identity"}
        return cls(identities=ids, resource_group_name=resource_group_name, location=s.location,
                   tags=s.all_tags, entries=dict(entries or {}))


class ManagedIdentities(pulumi.ComponentResource):
    """The user-assigned identities and their federated credentials; outputs by config key."""

    client_ids: dict[str, pulumi.Output[str]]
    principal_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ManagedIdentitiesArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("identity", "ManagedIdentities"), name, None, opts)
        self._name = name
        self._args = args
        self.client_ids = {}
        self.principal_ids = {}
        for key, sp in args.identities.items():
            identity = self._identity(key, sp)
            self._federated_credentials(key, identity, sp.federated_credentials)
            self.client_ids[key] = identity.client_id
            self.principal_ids[key] = identity.principal_id
        self.register_outputs({"clientIds": self.client_ids, "principalIds": self.principal_ids})

    def _identity(self, key: str, sp: ServicePrincipal) -> managedidentity.UserAssignedIdentity:
        return managedidentity.UserAssignedIdentity(
            f"{self._name}-{key}",
            resource_name_=sp.display_name,
            resource_group_name=self._args.resource_group_name,
            location=self._args.location,
            tags=identity_tags(self._args.tags, sp),
            opts=entry_child(self, self._args.entries.get(key)))

    def _federated_credentials(self, key: str, identity: managedidentity.UserAssignedIdentity,
                               credentials: dict[str, IdentityFederatedCredential]) -> None:
        previous: Optional[managedidentity.FederatedIdentityCredential] = None
        for fk, fc in credentials.items():
            previous = managedidentity.FederatedIdentityCredential(
                f"{self._name}-{key}-{fk}",
                federated_identity_credential_resource_name=fk,
                resource_name_=identity.name,
                resource_group_name=self._args.resource_group_name,
                issuer=fc.issuer,
                subject=fc.subject,
                audiences=[fc.audience],
                opts=entry_child(self, self._args.entries.get(key),
                                 depends_on=[previous] if previous else None))


def identity_tags(tags: dict[str, str], sp: ServicePrincipal) -> dict[str, str]:
    """The stack tags plus the identity's declared Databricks role and purpose.

    The policy ``managed-identity-role-matches-purpose`` compares the rights the identity holds
    in Databricks with ``databricks-role``; Azure caps a tag value at 256 characters.
    """
    return {**tags, ROLE_TAG: sp.role.value, PURPOSE_TAG: sp.purpose[:TAG_VALUE_MAX]}
