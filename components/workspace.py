"""Hardened Azure Databricks workspace with VNet injection, private link and audit logging.

What one ``DatabricksWorkspace`` declares, all tagged with ``Settings.all_tags`` where
Azure accepts tags:

* the resource group;
* a virtual network, one network security group, and standalone subnets: ``host`` (Databricks
  "public") and ``container`` (Databricks "private"), both delegated to
  ``Microsoft.Databricks/workspaces`` and associated with the NSG, plus a private endpoint
  subnet (network policies for private endpoints disabled) when its CIDR is configured;
* the workspace: premium SKU, ``Hybrid`` compute mode (classic compute in our VNet), a
  deterministic managed resource group id, secure cluster connectivity (no public IPs),
  public network access from config with the matching ``requiredNsgRules``, and the optional
  customer-managed keys, infrastructure encryption and enhanced security and compliance;
* with private link (components/private_network.py): the back-end ``databricks_ui_api``
  private endpoint in the workspace VNet and its ``privatelink.azuredatabricks.net`` zone; with
  ``network.hub``, the front-end endpoints in the hub, the zone the hub resolves and the
  optional VNet peering (without a hub, every endpoint stays in the workspace VNet);
* a Log Analytics workspace, the workspace's diagnostic setting (category group ``allLogs``)
  and, when ``audit.entraLogs`` is set, the tenant's Entra sign-in and audit logs to it.

Subnets are standalone ``network.Subnet`` resources and the ``VirtualNetwork`` never sets
``subnets`` (not even ``[]``); the NSG never sets ``securityRules``. For properties that are
also sub-resources, azure-native reads the live value before each PUT when the program leaves
them unset (pulumi/pulumi-azure-native#611, #1087, #4178), so a tag change on the VNet or NSG
keeps our subnets and the ``Microsoft.Databricks-workspaces_UseOnly_*`` rules that Azure
Databricks adds to the NSG. Declaring subnets inline *and* standalone (or ``securityRules``
inline) would make every ``pulumi up`` delete what the other side created. ``ignoreChanges``
on ``subnets`` is not needed and would not help. The subnets are created one after another:
Azure serialises writes to one VNet.

Changes that replace the workspace, deleting its notebooks, jobs, clusters and workspace model
registry (prod refuses the first four through ``replacementLock``, and ``protect`` blocks the
replacement until it is lifted):

========================================  ================================================
``workspace.name``                        new workspace (azure-native: path parameter)
``azure-native:location``                 new workspace, VNet, RG contents
``workspace.resourceGroupName``           new resource group and everything in it
``workspace.managedResourceGroupName``    new workspace (``replaceOnChanges`` here)
``workspace.infrastructureEncryption``    new workspace (Azure sets it at creation only)
========================================  ================================================

Not replacing, but one-way: enabling the compliance security profile or adding a compliance
standard is permanent for a workspace that processed regulated data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native.aadiam as aadiam
import pulumi_azure_native.databricks as adb
import pulumi_azure_native.monitor as monitor
import pulumi_azure_native.network as network
import pulumi_azure_native.operationalinsights as operationalinsights
import pulumi_azure_native.resources as resources

from components._base import child, type_token
from components.private_network import PrivateNetwork, Spoke
from settings import Settings
from settings.model import (
    Audit,
    CustomerManagedKeys,
    EnhancedSecurityCompliance,
    Network,
    Workspace,
)

SKU = "premium"
DATABRICKS_DELEGATION = "Microsoft.Databricks/workspaces"
HOST_SUBNET = "snet-databricks-host"
CONTAINER_SUBNET = "snet-databricks-container"
ENDPOINT_SUBNET = "snet-private-endpoints"
ALL_LOGS = "allLogs"
# Entra ID diagnostic log categories routed to Log Analytics (microsoft.aadiam, 2017-04-01).
ENTRA_LOG_CATEGORIES = (
    "AuditLogs",
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
)
# Workspace inputs Azure accepts at creation only: a change is shown (and done) as a replacement.
CREATE_ONLY = ["managedResourceGroupId", "computeMode",
               "parameters.requireInfrastructureEncryption"]


@dataclass(frozen=True)
class WorkspaceArgs:
    """Everything the workspace needs from the stack settings.

    ``protect`` marks the resource group, the workspace and the Log Analytics workspace as
    protected (the settings require it in prod). ``subscription_id`` builds the managed
    resource group id, which Azure Databricks creates and owns: it must not exist beforehand.
    ``hub_provider`` is azure-native scoped to the hub's subscription when ``network.hub`` is in
    another subscription (a private endpoint lives in its subnet's subscription), else None.
    """

    workspace: Workspace
    network: Network
    audit: Audit
    location: str
    tenant_id: str
    subscription_id: str
    tags: dict[str, str]
    is_prod: bool
    protect: bool
    hub_provider: Optional[pulumi.ProviderResource] = None

    @classmethod
    def from_settings(cls, s: Settings, hub_provider: Optional[pulumi.ProviderResource] = None,
                      ) -> WorkspaceArgs:
        return cls(workspace=s.workspace, network=s.network, audit=s.audit, location=s.location,
                   tenant_id=s.tenant_id, subscription_id=s.subscription_id, tags=s.all_tags,
                   is_prod=s.is_prod, protect=s.protect_critical, hub_provider=hub_provider)

    @property
    def managed_resource_group_id(self) -> str:
        """``/subscriptions/<sub>/resourceGroups/<managedResourceGroupName>``."""
        return (f"/subscriptions/{self.subscription_id}/resourceGroups/"
                f"{self.workspace.managed_resource_group_name}")


@dataclass(frozen=True)
class _Network:
    vnet: network.VirtualNetwork
    host: network.Subnet
    container: network.Subnet
    endpoints: Optional[network.Subnet]
    last: network.Subnet


class DatabricksWorkspace(pulumi.ComponentResource):
    """Resource group, network, workspace, private link and audit logs of one stack.

    Outputs: ``workspace_url`` is the bare host (``adb-<id>.<n>.azuredatabricks.net``, without
    ``https://``; components/providers.py adds the scheme), ``workspace_resource_id`` the ARM
    id, ``workspace_id`` the numeric workspace id, ``managed_resource_group_id``,
    ``resource_group_name`` and ``log_analytics_workspace_id``; ``manual_steps`` lists what
    someone outside this stack must do (the hub side of the VNet peering).
    """

    workspace_url: pulumi.Output[str]
    workspace_resource_id: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    managed_resource_group_id: pulumi.Output[str]
    resource_group_name: pulumi.Output[str]
    log_analytics_workspace_id: pulumi.Output[str]

    def __init__(self, name: str, args: WorkspaceArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("workspace", "DatabricksWorkspace"), name, None, opts)
        self._name = name
        self._args = args
        rg = self._resource_group()
        net = self._network(rg)
        workspace = self._workspace(rg, net)
        self.manual_steps: list[str] = []
        if args.workspace.private_link.enabled:
            if net.endpoints is None:
                raise ValueError("private link needs network.privateEndpointSubnetCidr; the "
                                 "settings validation reports this before the program runs")
            private = PrivateNetwork(self, name, args, args.hub_provider)
            private.declare(Spoke(rg, net.vnet, net.endpoints, net.last), workspace)
            self.manual_steps = private.manual_steps
        law = self._log_analytics(rg)
        self._diagnostics(workspace, law)

        self.workspace_url = workspace.workspace_url
        self.workspace_resource_id = workspace.id
        self.workspace_id = workspace.workspace_id
        # Azure echoes the id it was given; the deterministic value stands in if it is absent.
        self.managed_resource_group_id = workspace.managed_resource_group_id.apply(
            lambda rid: rid or args.managed_resource_group_id)
        self.resource_group_name = pulumi.Output.from_input(rg.name)
        self.log_analytics_workspace_id = pulumi.Output.from_input(law.id)
        self.register_outputs({
            "workspaceUrl": self.workspace_url,
            "workspaceResourceId": self.workspace_resource_id,
            "workspaceId": self.workspace_id,
            "managedResourceGroupId": self.managed_resource_group_id,
            "resourceGroupName": self.resource_group_name,
            "logAnalyticsWorkspaceId": self.log_analytics_workspace_id,
        })

    # --- resource group and network ------------------------------------------------------

    def _resource_group(self) -> resources.ResourceGroup:
        if self._args.workspace.existing_resource_group:
            # Brownfield: the group is owned elsewhere; reference it by name, never declare it.
            return _ExistingResourceGroup(self._args.workspace.resource_group_name)  # type: ignore[return-value]
        return resources.ResourceGroup(
            f"{self._name}-rg",
            resource_group_name=self._args.workspace.resource_group_name,
            location=self._args.location,
            tags=self._args.tags,
            opts=child(self, protect=self._args.protect))

    def _network(self, rg: resources.ResourceGroup) -> _Network:
        a = self._args
        nsg = network.NetworkSecurityGroup(
            f"{self._name}-nsg",
            network_security_group_name=f"nsg-{a.network.vnet_name}-databricks",
            resource_group_name=rg.name,
            location=a.location,
            tags=a.tags,
            opts=child(self))
        vnet = network.VirtualNetwork(
            f"{self._name}-vnet",
            virtual_network_name=a.network.vnet_name,
            resource_group_name=rg.name,
            location=a.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[a.network.address_space]),
            tags=a.tags,
            opts=child(self))
        host = self._databricks_subnet("host", HOST_SUBNET, a.network.public_subnet_cidr,
                                       rg, vnet, nsg, after=None)
        container = self._databricks_subnet("container", CONTAINER_SUBNET,
                                            a.network.private_subnet_cidr, rg, vnet, nsg,
                                            after=host)
        endpoints = None
        if a.network.private_endpoint_subnet_cidr:
            endpoints = network.Subnet(
                f"{self._name}-subnet-private-endpoints",
                subnet_name=ENDPOINT_SUBNET,
                virtual_network_name=vnet.name,
                resource_group_name=rg.name,
                address_prefix=a.network.private_endpoint_subnet_cidr,
                private_endpoint_network_policies=(
                    network.VirtualNetworkPrivateEndpointNetworkPolicies.DISABLED),
                opts=child(self, depends_on=[container]))
        return _Network(vnet=vnet, host=host, container=container, endpoints=endpoints,
                        last=endpoints or container)

    def _databricks_subnet(self, key: str, subnet_name: str, cidr: str,
                           rg: resources.ResourceGroup, vnet: network.VirtualNetwork,
                           nsg: network.NetworkSecurityGroup,
                           after: Optional[network.Subnet]) -> network.Subnet:
        """A subnet delegated to Azure Databricks and associated with the workspace NSG."""
        return network.Subnet(
            f"{self._name}-subnet-{key}",
            subnet_name=subnet_name,
            virtual_network_name=vnet.name,
            resource_group_name=rg.name,
            address_prefix=cidr,
            network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
            delegations=[network.DelegationArgs(name=f"databricks-{key}",
                                                service_name=DATABRICKS_DELEGATION)],
            opts=child(self, depends_on=[after] if after else None))

    # --- workspace -----------------------------------------------------------------------

    def _workspace(self, rg: resources.ResourceGroup, net: _Network) -> adb.Workspace:
        a = self._args
        ws = a.workspace
        public = adb.PublicNetworkAccess(ws.public_network_access)
        return adb.Workspace(
            f"{self._name}-databricks",
            workspace_name=ws.name,
            resource_group_name=rg.name,
            location=a.location,
            sku=adb.SkuArgs(name=SKU),
            compute_mode=adb.ComputeMode.HYBRID,
            managed_resource_group_id=a.managed_resource_group_id,
            public_network_access=public,
            required_nsg_rules=required_nsg_rules(public),
            parameters=adb.WorkspaceCustomParametersArgs(
                custom_virtual_network_id=adb.WorkspaceCustomStringParameterArgs(
                    value=net.vnet.id),
                custom_public_subnet_name=adb.WorkspaceCustomStringParameterArgs(
                    value=HOST_SUBNET),
                custom_private_subnet_name=adb.WorkspaceCustomStringParameterArgs(
                    value=CONTAINER_SUBNET),
                enable_no_public_ip=adb.WorkspaceNoPublicIPBooleanParameterArgs(value=True),
                require_infrastructure_encryption=(
                    adb.WorkspaceCustomBooleanParameterArgs(value=True)
                    if ws.infrastructure_encryption else None),
            ),
            encryption=workspace_encryption(ws.customer_managed_keys),
            enhanced_security_compliance=enhanced_security(ws.enhanced_security_compliance),
            tags=a.tags,
            # The subnets are referenced by name only: wait for their delegation and NSG.
            opts=child(self, protect=a.protect, depends_on=[net.host, net.container],
                       replace_on_changes=CREATE_ONLY, delete_before_replace=True))

    # --- audit ---------------------------------------------------------------------------

    def _log_analytics(self, rg: resources.ResourceGroup) -> operationalinsights.Workspace:
        a = self._args
        if a.audit.existing_workspace_id:
            # Brownfield: an existing (central) workspace receives the logs; not declared here.
            return _ExistingLogAnalytics(a.audit.existing_workspace_id)  # type: ignore[return-value]
        return operationalinsights.Workspace(
            f"{self._name}-log-analytics",
            workspace_name=a.audit.log_analytics_name,
            resource_group_name=rg.name,
            location=a.location,
            sku=operationalinsights.WorkspaceSkuArgs(
                name=operationalinsights.WorkspaceSkuNameEnum.PER_GB2018),
            retention_in_days=a.audit.retention_days,
            features=operationalinsights.WorkspaceFeaturesArgs(
                disable_local_auth=True,
                enable_log_access_using_only_resource_permissions=True,
            ),
            tags=a.tags,
            opts=child(self, protect=a.protect))

    def _diagnostics(self, workspace: adb.Workspace,
                     law: operationalinsights.Workspace) -> None:
        """Workspace diagnostic logs and, optionally, the tenant's Entra logs to Log Analytics.

        The Entra setting is tenant-scoped (``/providers/microsoft.aadiam/diagnosticSettings``):
        the stack's azure-native provider serves it because the request path has no
        subscription, and its ``tenantId`` picks the tenant. The deploying identity needs the
        Entra role Security Administrator (or Global Administrator) and write access to the Log
        Analytics workspace; sign-in logs need an Entra ID P1/P2 licence.
        """
        a = self._args
        monitor.DiagnosticSetting(
            f"{self._name}-diagnostics",
            name=f"{a.workspace.name}-audit",
            resource_uri=workspace.id,
            workspace_id=law.id,
            logs=[monitor.DiagnosticsLogSettingsArgs(category_group=ALL_LOGS, enabled=True)],
            opts=child(self))
        if a.audit.entra_logs:
            aadiam.DiagnosticSetting(
                f"{self._name}-entra-diagnostics",
                # Tenant-wide: the name must not collide with another stack's setting.
                name=f"{a.audit.log_analytics_name}-entra",
                workspace_id=law.id,
                logs=[aadiam.LogSettingsArgs(category=c, enabled=True)
                      for c in ENTRA_LOG_CATEGORIES],
                opts=child(self))


@dataclass(frozen=True)
class _ExistingResourceGroup:
    """A resource group the stack uses but does not own: its ``name`` is all the children need."""

    name: str


@dataclass(frozen=True)
class _ExistingLogAnalytics:
    """A Log Analytics workspace the stack sends logs to but does not own (its ARM ``id``)."""

    id: str


def required_nsg_rules(public: adb.PublicNetworkAccess) -> adb.RequiredNsgRules:
    """Without public access, clusters reach the control plane through the private endpoint."""
    if public is adb.PublicNetworkAccess.DISABLED:
        return adb.RequiredNsgRules.NO_AZURE_DATABRICKS_RULES
    return adb.RequiredNsgRules.ALL_RULES


def workspace_encryption(
        cmk: Optional[CustomerManagedKeys]) -> Optional[adb.WorkspacePropertiesEncryptionArgs]:
    """Customer-managed keys for managed services and managed disks (``encryption.entities``).

    Prerequisites outside this stack: the key vault grants the AzureDatabricks first-party app
    get/wrapKey/unwrapKey (managed services) and, after creation, the workspace's
    ``managedDiskIdentity`` the same (managed disks).
    """
    if cmk is None:
        return None
    services = None
    if cmk.managed_services_key_name and cmk.managed_services_key_version:
        services = adb.EncryptionV2Args(
            key_source=adb.EncryptionKeySource.MICROSOFT_KEYVAULT,
            key_vault_properties=adb.EncryptionV2KeyVaultPropertiesArgs(
                key_name=cmk.managed_services_key_name,
                key_vault_uri=cmk.key_vault_uri,
                key_version=cmk.managed_services_key_version))
    disks = None
    if cmk.managed_disks_key_name and cmk.managed_disks_key_version:
        disks = adb.ManagedDiskEncryptionArgs(
            key_source=adb.EncryptionKeySource.MICROSOFT_KEYVAULT,
            key_vault_properties=adb.ManagedDiskEncryptionKeyVaultPropertiesArgs(
                key_name=cmk.managed_disks_key_name,
                key_vault_uri=cmk.key_vault_uri,
                key_version=cmk.managed_disks_key_version))
    if services is None and disks is None:
        return None
    return adb.WorkspacePropertiesEncryptionArgs(
        entities=adb.EncryptionEntitiesDefinitionArgs(managed_services=services,
                                                      managed_disk=disks))


def enhanced_security(
        esc: Optional[EnhancedSecurityCompliance],
) -> Optional[adb.EnhancedSecurityComplianceDefinitionArgs]:
    """The Enhanced Security and Compliance add-on: ``enabled`` is the compliance profile."""
    if esc is None:
        return None
    return adb.EnhancedSecurityComplianceDefinitionArgs(
        automatic_cluster_update=adb.AutomaticClusterUpdateDefinitionArgs(
            value=(adb.AutomaticClusterUpdateValue.ENABLED if esc.automatic_cluster_update
                   else adb.AutomaticClusterUpdateValue.DISABLED)),
        compliance_security_profile=adb.ComplianceSecurityProfileDefinitionArgs(
            value=(adb.ComplianceSecurityProfileValue.ENABLED if esc.enabled
                   else adb.ComplianceSecurityProfileValue.DISABLED),
            compliance_standards=([adb.ComplianceStandard(s) for s in esc.compliance_standards]
                                  or None)),
        enhanced_security_monitoring=adb.EnhancedSecurityMonitoringDefinitionArgs(
            value=(adb.EnhancedSecurityMonitoringValue.ENABLED
                   if esc.enhanced_security_monitoring
                   else adb.EnhancedSecurityMonitoringValue.DISABLED)),
    )
