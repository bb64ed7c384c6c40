"""The workspace and what surrounds it: tags, the Databricks account, encryption, audit logs,
identity provisioning and the replacement lock of a prod workspace."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from settings.sections.base import NonEmpty, Strict, Uuid
from settings.sections.network import PrivateLink


class Tags(Strict):
    """Tags applied to every taggable Azure resource (``environment`` is added from the stack)."""

    owner: NonEmpty
    cost_center: NonEmpty
    data_classification: Literal["public", "internal", "confidential", "restricted"]
    extra: dict[str, str] = Field(default_factory=dict)


class DatabricksAccount(Strict):
    account_id: Uuid
    identity_mode: Literal["account", "workspace"] = "account"
    # The Unity Catalog metastore the workspace is assigned to (required for Unity Catalog
    # models), and the workspace's default catalog (DefaultNamespaceSetting).
    metastore_id: Optional[Uuid] = None
    default_catalog: Optional[str] = None
    # No auth type here: provider inputs must be the same whoever deploys. The Databricks SDK
    # reads DATABRICKS_AUTH_TYPE / ARM_* from the deployer's environment at run time, and
    # settings.environment refuses personal access tokens there.


class CustomerManagedKeys(Strict):
    key_vault_uri: str
    managed_services_key_name: Optional[str] = None
    managed_services_key_version: Optional[str] = None
    managed_disks_key_name: Optional[str] = None
    managed_disks_key_version: Optional[str] = None


class EnhancedSecurityCompliance(Strict):
    enabled: bool = True
    compliance_standards: list[Literal["HIPAA", "PCI_DSS", "NONE"]] = Field(default_factory=list)
    automatic_cluster_update: bool = True
    enhanced_security_monitoring: bool = True


class Workspace(Strict):
    name: str
    resource_group_name: str
    managed_resource_group_name: str
    public_network_access: Literal["Enabled", "Disabled"] = "Disabled"
    private_link: PrivateLink = Field(default_factory=PrivateLink)
    customer_managed_keys: Optional[CustomerManagedKeys] = None
    infrastructure_encryption: bool = False
    enhanced_security_compliance: Optional[EnhancedSecurityCompliance] = None
    # Set to a change ticket to allow a change that replaces the prod workspace.
    acknowledge_replacement: Optional[str] = None
    # Brownfield: the resource group already exists and is owned elsewhere; the stack puts its
    # resources in it but never creates, tags or deletes it.
    existing_resource_group: bool = False


class Audit(Strict):
    log_analytics_name: NonEmpty
    retention_days: int = Field(default=365, ge=30, le=730)
    entra_logs: bool = False
    # Brownfield: send the logs to an existing (e.g. the SOC's central) Log Analytics workspace,
    # given by ARM id, instead of declaring one. Its retention is then its owner's to keep.
    existing_workspace_id: Optional[str] = None


class Provisioning(Strict):
    """How Entra group members reach Databricks without per-user resources."""

    mode: Literal["automatic-identity-management", "scim"] = "automatic-identity-management"
    # For mode scim: the enterprise application of the Databricks SCIM connector.
    scim_service_principal_object_id: Optional[Uuid] = None


class ReplacementLock(Strict):
    """The last-deployed values of the properties that force a workspace replacement."""

    workspace_name: str
    location: str
    managed_resource_group_name: str
    resource_group_name: str
