"""Typed, frozen stack settings with secure defaults: :class:`Settings` and its sections.

Every section of ``Pulumi.<stack>.yaml`` (under the ``databricks-ml-entra:`` namespace) has a
model in :mod:`settings.sections`, one module per family (identities, sign-in, network,
workspace, models, governance); this module assembles them into :class:`Settings` and
re-exports them, so ``from settings.model import Group`` is the one way to import a section.
Field names are snake_case in Python and camelCase in YAML (the alias). Field validators check
one value; cross-field rules are checks over the validated :class:`Settings`
(:mod:`settings.checks`). A fact derived from several fields is a property here, so every check,
component and report reads it from one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional, TypeVar

from pydantic import Field

from settings.sections.base import (
    AZURE_NAME,
    PROJECT,
    SLUG,
    UC_IDENT,
    Cidr,
    Environment,
    NonEmpty,
    Strict,
    Uuid,
    is_uuid,
)
from settings.sections.governance import (
    ACCESS_DURATION_CEILING_DAYS,
    ACTIVATION_CEILING_HOURS,
    REVIEW_PERIOD_DAYS,
    AccessCatalog,
    AccessPackage,
    AccessReviewSettings,
    Approval,
    ApprovalStage,
    Governance,
    PrivilegedAccess,
    Requestors,
    access_duration_ceiling,
)
from settings.sections.identities import (
    VAULT_NAME,
    Federation,
    Group,
    IdentityFederatedCredential,
    KeyVaultTarget,
    Rotation,
    ServicePrincipal,
    parse_vault_id,
)
from settings.sections.models import (
    MODEL_NAME_PATTERNS,
    PRODUCTION_LEVELS,
    PRODUCTION_PRIVILEGES,
    UC_PRIVILEGES,
    WORKSPACE_LEVELS,
    Model,
)
from settings.sections.network import (
    PRIVATE_DNS_ZONE,
    Hub,
    HubPeering,
    Network,
    PrivateDnsZoneId,
    PrivateLink,
    SubnetId,
)
from settings.sections.roles import (
    ENTITLEMENT_NAMES,
    ROLE_PRESETS,
    Entitlements,
    Role,
    effective_entitlements,
)
from settings.sections.sign_in import (
    AzureDatabricksApp,
    AzureDatabricksAssignment,
    ClientApp,
    ConditionalAccess,
    NamedLocation,
    RecordedExclusion,
)
from settings.sections.workspace import (
    Audit,
    CustomerManagedKeys,
    DatabricksAccount,
    EnhancedSecurityCompliance,
    Provisioning,
    ReplacementLock,
    Tags,
    Workspace,
)

T = TypeVar("T")


class Settings(Strict):
    """The whole stack configuration, validated."""

    stack: str
    environment: Environment
    tenant_id: Uuid
    subscription_id: Uuid
    location: NonEmpty
    protect: bool = True
    tags: Tags
    databricks: DatabricksAccount
    deployer: NonEmpty
    # The read-only identity that runs `pulumi preview` for pull requests (README, CI).
    previewer: Optional[NonEmpty] = None
    azure_databricks_app: AzureDatabricksApp = Field(default_factory=AzureDatabricksApp)
    client_app: Optional[ClientApp] = None
    groups: dict[str, Group] = Field(min_length=1)
    service_principals: dict[str, ServicePrincipal] = Field(default_factory=dict)
    conditional_access: ConditionalAccess
    workspace: Workspace
    network: Network
    audit: Audit
    models: dict[str, Model] = Field(default_factory=dict)
    provisioning: Provisioning = Field(default_factory=Provisioning)
    replacement_lock: Optional[ReplacementLock] = None
    governance: Optional[Governance] = None
    scim_token_set: bool = False

    # --- derived views used by components and reports ---

    @property
    def is_prod(self) -> bool:
        return self.environment is Environment.PROD

    @property
    def protect_critical(self) -> bool:
        """Whether critical resources are declared with ``protect=True`` (the one owner of that).

        Critical resources are the workspace (its resource group, network, Log Analytics and
        audit routing), the groups, app registrations and service principals, the Databricks
        identities, ACLs, models and governance objects, the Key Vault and the adopted Azure
        Databricks app. They follow ``protect`` in every environment; a prod stack must set it
        true (``settings.checks.workspace.check_prod_protected``), so in prod they are always
        protected. Credentials (secrets, federated credentials) are never protected: rotation
        must replace them.
        """
        return self.protect

    @property
    def all_tags(self) -> dict[str, str]:
        tags = {
            "owner": self.tags.owner,
            "cost-center": self.tags.cost_center,
            "environment": self.environment.value,
            "data-classification": self.tags.data_classification,
            "managed-by": "pulumi:" + PROJECT,
        }
        tags.update(self.tags.extra)
        return tags

    @property
    def admin_groups(self) -> list[str]:
        return [k for k, g in self.groups.items() if g.role is Role.ADMIN]

    @property
    def mapped_groups(self) -> dict[str, Group]:
        return {k: g for k, g in self.groups.items() if g.is_mapped}

    def only_mapped(self, by_group_key: Mapping[str, T]) -> dict[str, T]:
        """The entries of ``by_group_key`` (e.g. group object ids) for mapped groups only."""
        mapped = self.mapped_groups
        return {k: v for k, v in by_group_key.items() if k in mapped}

    @property
    def operators(self) -> set[str]:
        """Principal keys that always keep full rights on every model: the admin groups and the
        deployer, so that an apply can never lock them out."""
        return {*self.admin_groups, self.deployer}


__all__ = [
    "ACCESS_DURATION_CEILING_DAYS", "ACTIVATION_CEILING_HOURS", "AZURE_NAME", "ENTITLEMENT_NAMES",
    "MODEL_NAME_PATTERNS", "PRIVATE_DNS_ZONE", "PRODUCTION_LEVELS", "PRODUCTION_PRIVILEGES",
    "PROJECT", "REVIEW_PERIOD_DAYS", "ROLE_PRESETS", "SLUG", "UC_IDENT", "UC_PRIVILEGES",
    "VAULT_NAME", "WORKSPACE_LEVELS", "AccessCatalog", "AccessPackage", "AccessReviewSettings",
    "Approval", "ApprovalStage", "Audit", "AzureDatabricksApp", "AzureDatabricksAssignment",
    "Cidr", "ClientApp", "ConditionalAccess", "CustomerManagedKeys", "DatabricksAccount",
    "EnhancedSecurityCompliance", "Entitlements", "Environment", "Federation", "Governance",
    "Group", "Hub", "HubPeering", "IdentityFederatedCredential", "KeyVaultTarget", "Model",
    "NamedLocation", "Network", "NonEmpty", "PrivateDnsZoneId", "PrivateLink",
    "PrivilegedAccess", "Provisioning", "RecordedExclusion", "ReplacementLock", "Requestors",
    "Role", "Rotation", "ServicePrincipal", "Settings", "Strict", "SubnetId", "Tags", "Uuid",
    "Workspace", "access_duration_ceiling", "effective_entitlements", "is_uuid",
    "parse_vault_id",
]
