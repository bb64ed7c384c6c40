"""Cross-field rules of the hub-and-spoke (transit) topology: who can reach a private workspace.

A workspace with ``publicNetworkAccess: Disabled`` answers only through a ``databricks_ui_api``
private endpoint whose name resolves for the caller. The endpoint in the workspace's own VNet
(the back-end one) serves the clusters; people, CI runners and the deployer sit in or behind
the hub, so prod needs the front-end endpoint in the hub and a DNS zone the hub resolves.
Registered into :data:`settings.rules.RULES` on import (``settings.rules`` imports this module).
"""

from __future__ import annotations

from uuid import UUID

from settings.model import AZURE_NAME, Hub, Network, Workspace
from settings.rules import Fail, Parts, _is_prod, key, rule

HUB = ("network", "hub")


@rule("environment", "workspace", "network")
def prod_private_route(parts: Parts, fail: Fail) -> None:
    """Prod without public access must be reachable from outside its own VNet (the hub)."""
    ws: Workspace = parts["workspace"]
    net: Network = parts["network"]
    if not _is_prod(parts) or ws.public_network_access != "Disabled" or net.hub is not None:
        return
    fail(key(*HUB), "the prod workspace has public network access disabled, and its only "
         "private endpoint and DNS zone would live in (and be linked only to) its own VNet, "
         "which this stack creates: no user, CI runner or deployer outside that VNet could "
         "resolve or reach it, so every workspace-level resource would fail",
         "add `network.hub: {frontEndSubnetId: <subnet id in your hub/transit VNet>}` (plus "
         "`privateDnsZoneId: <central privatelink.azuredatabricks.net zone id>` or "
         "`dnsResourceGroupName: <rg for a zone this stack declares>`); see README, "
         "\"Network topology\"")


@rule("workspace", "network")
def hub_shape(parts: Parts, fail: Fail) -> None:
    """The hub block is complete, unambiguous and really outside the workspace VNet."""
    ws: Workspace = parts["workspace"]
    net: Network = parts["network"]
    hub: Hub | None = net.hub
    if hub is None:
        return
    if not ws.private_link.enabled:
        fail(key(*HUB), "declares front-end private endpoints, but private link is off",
             "set `workspace.privateLink.enabled: true`, or remove `network.hub`")
    _dns(hub, ws, fail)
    _outside_workspace_vnet(hub, net, ws, parts.get("subscription_id"), fail)
    for field, value in (("dnsResourceGroupName", hub.dns_resource_group_name),
                         ("endpointResourceGroupName", hub.endpoint_resource_group_name)):
        if value is not None and not AZURE_NAME.match(value):
            fail(key(*HUB, field), "is not a valid Azure resource group name",
                 "use 3-64 letters, digits, '-', '_' or '.', not ending in '.' or '-'",
                 value=value)


def _dns(hub: Hub, ws: Workspace, fail: Fail) -> None:
    """Exactly one source for the front-end zone; a declared one needs its own group."""
    if hub.private_dns_zone_id and hub.dns_resource_group_name:
        fail(key(*HUB, "dnsResourceGroupName"), "is set together with privateDnsZoneId: the "
             "front-end endpoints would register in the central zone and the declared zone "
             "would stay empty", "keep privateDnsZoneId (central zone) or dnsResourceGroupName "
             "(a zone this stack declares), not both", value=hub.dns_resource_group_name)
    if not hub.private_dns_zone_id and not hub.dns_resource_group_name:
        fail(key(*HUB, "privateDnsZoneId"), "the front-end endpoints need a "
             "privatelink.azuredatabricks.net zone that the hub resolves, and none is given",
             "set privateDnsZoneId to your central zone's resource id, or dnsResourceGroupName "
             "to a resource group where this stack declares the zone and links it to the hub")
    name = hub.dns_resource_group_name
    if name and name.casefold() in (ws.resource_group_name.casefold(),
                                    ws.managed_resource_group_name.casefold()):
        fail(key(*HUB, "dnsResourceGroupName"), "must be a resource group of its own: the "
             "workspace resource group already holds the back-end privatelink.azuredatabricks.net "
             "zone (a zone name is unique per resource group), and Azure Databricks locks the "
             "managed one", "use e.g. '<workspace.resourceGroupName>-dns'", value=name)


def _outside_workspace_vnet(hub: Hub, net: Network, ws: Workspace, subscription: str | None,
                            fail: Fail) -> None:
    """The front-end subnet must not be a subnet of the workspace VNet itself."""
    same_vnet = (subscription is not None
                 and UUID(hub.subscription_id) == UUID(subscription)
                 and hub.resource_group_name.casefold() == ws.resource_group_name.casefold()
                 and hub.virtual_network_name.casefold() == net.vnet_name.casefold())
    if same_vnet:
        fail(key(*HUB, "frontEndSubnetId"), "is a subnet of the workspace VNet itself, so DNS "
             "and the endpoint would again reach nobody outside that VNet",
             "use a subnet of the existing hub/transit VNet that users and runners reach",
             value=hub.front_end_subnet_id)
