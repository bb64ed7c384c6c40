"""Private link of the workspace: back-end endpoint in its VNet, front-end endpoints in the hub.

Microsoft's "standard deployment" of Azure Databricks private link (transit/hub-and-spoke):

* **Back-end** (clusters -> control plane, secure cluster connectivity relay and REST API): a
  ``databricks_ui_api`` private endpoint in the workspace VNet's endpoint subnet, registered in a
  ``privatelink.azuredatabricks.net`` zone that this stack declares in the workspace resource
  group and links to the workspace VNet only.
* **Front-end** (people, the CI runner, the deployer -> workspace): a ``databricks_ui_api``
  private endpoint, and with ``privateLink.browserAuthentication`` the region's
  ``browser_authentication`` one (SSO callbacks from Entra ID), in a subnet of the existing hub
  (``network.hub.frontEndSubnetId``), registered in a ``privatelink.azuredatabricks.net`` zone the
  hub resolves: an existing central zone (``privateDnsZoneId``; its VNet links are the platform
  team's) or a zone this stack declares in ``dnsResourceGroupName`` and links to the hub VNet.
* Optionally the VNet peering workspace VNet <-> hub (``network.hub.peering``).

Why two zones of the same name: both ``databricks_ui_api`` endpoints register the same record
(``adb-<id>.<n>``). In one zone the zone group written last would win and deleting either
endpoint would delete the record; and a VNet can be linked to only one zone of a given name.
So each VNet resolves the workspace to the endpoint it can reach, as Microsoft's standard
deployment does (one zone per VNet).

Scopes and rights (a real tenant): a private endpoint must be in the subscription of its
subnet, so the front-end endpoints and their zone groups use ``hub_provider`` (azure-native
scoped to the hub's subscription) when the hub is in another subscription. The deployer needs
``Microsoft.Network/virtualNetworks/subnets/join/action`` on the hub subnet,
``privateEndpoints/write`` in ``endpointResourceGroupName``, ``privateDnsZones/join/action`` on
the zone and, for a declared zone, ``virtualNetworks/join/action`` on the hub VNet for the link.
The ``VirtualNetwork`` never sets ``virtualNetworkPeerings``, as it never sets ``subnets``, so
the standalone peering is not removed by a later update of the VNet.

Destroy/rename: every resource here is named from the workspace name; renaming the workspace
replaces the endpoints (a short outage of the private path). Moving ``browserAuthentication``
from the workspace VNet to the hub (adding ``network.hub``) deletes the old endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import pulumi
import pulumi_azure_native.network as network
import pulumi_azure_native.privatedns as privatedns
import pulumi_azure_native.resources as resources

from components._base import child
from settings.model import PRIVATE_DNS_ZONE, Hub, HubPeering

if TYPE_CHECKING:
    import pulumi_azure_native.databricks as adb

    from components.workspace import WorkspaceArgs

# Stable key (resource names) -> private link sub-resource (group id) of a Databricks workspace.
UI_API = ("ui-api", "databricks_ui_api")
BROWSER_AUTH = ("browser-auth", "browser_authentication")


@dataclass(frozen=True)
class Spoke:
    """The workspace side: its resource group, VNet and endpoint subnet."""

    resource_group: resources.ResourceGroup
    vnet: network.VirtualNetwork
    endpoints: network.Subnet
    last_subnet: network.Subnet


class PrivateNetwork:
    """Declares the private link resources as children of the workspace component."""

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: WorkspaceArgs,
                 hub_provider: Optional[pulumi.ProviderResource]) -> None:
        self._owner = owner
        self._name = name
        self._args = args
        self._hub_provider = hub_provider
        self.manual_steps: list[str] = []

    def declare(self, spoke: Spoke, workspace: adb.Workspace) -> None:
        a = self._args
        zone, link = self._workspace_zone(spoke)
        hub = a.network.hub
        browser = a.workspace.private_link.browser_authentication
        # Without a hub every endpoint stays in the workspace VNet (reachable from it only).
        groups = [UI_API] + ([BROWSER_AUTH] if browser and hub is None else [])
        previous: Optional[network.PrivateEndpoint] = None
        for key, group_id in groups:
            previous = self._endpoint(key, group_id, spoke.resource_group.name,
                                      network.SubnetArgs(id=spoke.endpoints.id), workspace,
                                      zone.id, [link], after=previous, provider=None)
        if hub is None:
            return
        hub_zone_id, hub_links = self._hub_zone(hub)
        previous = None
        for key, group_id in [UI_API] + ([BROWSER_AUTH] if browser else []):
            previous = self._endpoint(f"hub-{key}", group_id, hub.endpoint_resource_group,
                                      network.SubnetArgs(id=hub.front_end_subnet_id), workspace,
                                      hub_zone_id, hub_links, after=previous,
                                      provider=self._hub_provider)
        if hub.peering is not None:
            self._peering(hub, hub.peering, spoke)

    # --- DNS -----------------------------------------------------------------------------

    def _workspace_zone(
            self, spoke: Spoke) -> tuple[privatedns.PrivateZone, privatedns.VirtualNetworkLink]:
        """The zone the workspace VNet resolves (back-end endpoint), linked to that VNet only."""
        a = self._args
        zone = privatedns.PrivateZone(
            f"{self._name}-dns-zone",
            private_zone_name=PRIVATE_DNS_ZONE,
            resource_group_name=spoke.resource_group.name,
            location="global",
            tags=a.tags,
            opts=child(self._owner))
        link = privatedns.VirtualNetworkLink(
            f"{self._name}-dns-link",
            private_zone_name=zone.name,
            resource_group_name=spoke.resource_group.name,
            virtual_network_link_name=f"{a.network.vnet_name}-link",
            virtual_network=privatedns.SubResourceArgs(id=spoke.vnet.id),
            registration_enabled=False,
            location="global",
            tags=a.tags,
            opts=child(self._owner))
        return zone, link

    def _hub_zone(self, hub: Hub) -> tuple[pulumi.Input[str], list[pulumi.Resource]]:
        """The zone the hub resolves: the central one by id, or one declared and linked here."""
        if hub.private_dns_zone_id:
            # Central zone: its VNet links (hub, and whatever the platform team adds) are theirs.
            return hub.private_dns_zone_id, []
        a = self._args
        assert hub.dns_resource_group_name is not None  # settings guarantee one of the two
        rg = resources.ResourceGroup(
            f"{self._name}-hub-dns-rg",
            resource_group_name=hub.dns_resource_group_name,
            location=a.location,
            tags=a.tags,
            opts=child(self._owner, protect=a.protect))
        zone = privatedns.PrivateZone(
            f"{self._name}-hub-dns-zone",
            private_zone_name=PRIVATE_DNS_ZONE,
            resource_group_name=rg.name,
            location="global",
            tags=a.tags,
            opts=child(self._owner))
        link = privatedns.VirtualNetworkLink(
            f"{self._name}-hub-dns-link",
            private_zone_name=zone.name,
            resource_group_name=rg.name,
            virtual_network_link_name=f"{hub.virtual_network_name}-link",
            virtual_network=privatedns.SubResourceArgs(id=hub.virtual_network_id),
            registration_enabled=False,
            location="global",
            tags=a.tags,
            opts=child(self._owner))
        return zone.id, [link]

    # --- endpoints -----------------------------------------------------------------------

    def _endpoint(self, key: str, group_id: str, resource_group_name: pulumi.Input[str],
                  subnet: network.SubnetArgs, workspace: adb.Workspace,
                  zone_id: pulumi.Input[str], links: list[pulumi.Resource],
                  after: Optional[network.PrivateEndpoint],
                  provider: Optional[pulumi.ProviderResource]) -> network.PrivateEndpoint:
        """A private endpoint to one workspace sub-resource, registered in ``zone_id``."""
        a = self._args
        endpoint_name = f"pe-{a.workspace.name}-{key}"
        endpoint = network.PrivateEndpoint(
            f"{self._name}-pe-{key}",
            private_endpoint_name=endpoint_name,
            resource_group_name=resource_group_name,
            location=a.location,
            subnet=subnet,
            private_link_service_connections=[network.PrivateLinkServiceConnectionArgs(
                name=endpoint_name,
                private_link_service_id=workspace.id,
                group_ids=[group_id],
            )],
            tags=a.tags,
            opts=child(self._owner, depends_on=[after] if after else None, provider=provider))
        network.PrivateDnsZoneGroup(
            f"{self._name}-pe-{key}-dns",
            private_endpoint_name=endpoint.name,
            resource_group_name=resource_group_name,
            private_dns_zone_group_name="default",
            private_dns_zone_configs=[network.PrivateDnsZoneConfigArgs(
                name=PRIVATE_DNS_ZONE.replace(".", "-"),
                private_dns_zone_id=zone_id,
            )],
            opts=child(self._owner, depends_on=links or None, provider=provider))
        return endpoint

    # --- peering -------------------------------------------------------------------------

    def _peering(self, hub: Hub, peering: HubPeering, spoke: Spoke) -> None:
        """Spoke -> hub always; hub -> spoke only with ``declareHubSide`` (else a manual step).

        A peering is ``Connected`` only once both sides exist. ``useRemoteGateways`` needs the
        hub side to allow gateway transit first, so the spoke side waits for a declared hub side.
        """
        a = self._args
        spoke_to_hub = f"peer-{a.network.vnet_name}-to-{hub.virtual_network_name}"
        hub_to_spoke = f"peer-{hub.virtual_network_name}-to-{a.network.vnet_name}"
        after: list[pulumi.Resource] = [spoke.last_subnet]
        if peering.declare_hub_side:
            after.append(network.VirtualNetworkPeering(
                f"{self._name}-peering-from-hub",
                virtual_network_peering_name=hub_to_spoke,
                resource_group_name=hub.resource_group_name,
                virtual_network_name=hub.virtual_network_name,
                remote_virtual_network=network.SubResourceArgs(id=spoke.vnet.id),
                allow_virtual_network_access=True,
                allow_forwarded_traffic=True,
                allow_gateway_transit=peering.use_remote_gateways,
                use_remote_gateways=False,
                opts=child(self._owner, depends_on=[spoke.last_subnet],
                           provider=self._hub_provider)))
        else:
            self.manual_steps.append(
                f"Hub side of the VNet peering (platform team): in resource group "
                f"{hub.resource_group_name} of subscription {hub.subscription_id}, peer "
                f"{hub.virtual_network_name} with {a.network.vnet_name} as '{hub_to_spoke}' "
                "(allow virtual network access, allow forwarded traffic"
                + (", allow gateway transit" if peering.use_remote_gateways else "")
                + "); the spoke side stays 'Initiated' until then.")
        network.VirtualNetworkPeering(
            f"{self._name}-peering-to-hub",
            virtual_network_peering_name=spoke_to_hub,
            resource_group_name=spoke.resource_group.name,
            virtual_network_name=spoke.vnet.name,
            remote_virtual_network=network.SubResourceArgs(id=hub.virtual_network_id),
            allow_virtual_network_access=True,
            allow_forwarded_traffic=peering.allow_forwarded_traffic,
            allow_gateway_transit=False,
            use_remote_gateways=peering.use_remote_gateways,
            opts=child(self._owner, depends_on=after))
