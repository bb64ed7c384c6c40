"""Checks of the network: subnets of the workspace VNet, and the hub-and-spoke (transit) topology
that decides who can reach a private workspace.

A workspace with ``publicNetworkAccess: Disabled`` answers only through a ``databricks_ui_api``
private endpoint whose name resolves for the caller. The endpoint in the workspace's own VNet
(the back-end one) serves the clusters; people, CI runners and the deployer sit in or behind
the hub, so prod needs the front-end endpoint in the hub and a DNS zone the hub resolves.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from uuid import UUID

from settings.checks.registry import check, key, problem
from settings.errors import Problem
from settings.limits import VNET_NAME
from settings.model import AZURE_NAME, Hub, Network, Settings, Workspace

HUB = ("network", "hub")


@check
def check_subnets(s: Settings) -> Iterator[Problem]:
    """Subnets lie inside the address space, are large enough and do not overlap."""
    net = s.network
    space = ipaddress.ip_network(net.address_space)
    named = [("publicSubnetCidr", net.public_subnet_cidr),
             ("privateSubnetCidr", net.private_subnet_cidr)]
    if net.private_endpoint_subnet_cidr:
        named.append(("privateEndpointSubnetCidr", net.private_endpoint_subnet_cidr))
    nets = [(n, ipaddress.ip_network(c)) for n, c in named]
    for name, subnet in nets:
        if subnet.version != space.version or not subnet.subnet_of(space):  # type: ignore[arg-type]
            yield problem(key("network", name), f"is not inside addressSpace {space}",
                          "choose a range inside the virtual network's address space",
                          str(subnet))
        if name != "privateEndpointSubnetCidr" and subnet.prefixlen > 26:
            yield problem(key("network", name), "Azure Databricks needs a /26 or larger subnet",
                          "use a prefix length of 26 or less", str(subnet))
    for i, (a_name, a) in enumerate(nets):
        for b_name, b in nets[i + 1:]:
            if a.overlaps(b):
                yield problem(key("network", b_name), f"overlaps {a_name} ({a})",
                              "give each subnet its own, non-overlapping range", str(b))


@check
def check_private_endpoint_subnet(s: Settings) -> Iterator[Problem]:
    """Private link has a subnet for its private endpoint."""
    if s.workspace.private_link.enabled and not s.network.private_endpoint_subnet_cidr:
        yield problem(key("network", "privateEndpointSubnetCidr"), "private link is enabled but "
                      "there is no subnet for the private endpoint", "add e.g. "
                      "`privateEndpointSubnetCidr: 10.20.2.0/27` inside the address space")


@check
def check_prod_private_route(s: Settings) -> Iterator[Problem]:
    """Prod without public access must be reachable from outside its own VNet (the hub)."""
    public = s.workspace.public_network_access != "Disabled"
    if not s.is_prod or public or s.network.hub is not None:
        return
    yield problem(key(*HUB), "the prod workspace has public network access disabled, and its "
                  "only private endpoint and DNS zone would live in (and be linked only to) its "
                  "own VNet, which this stack creates: no user, CI runner or deployer outside "
                  "that VNet could resolve or reach it, so every workspace-level resource would "
                  "fail", "add `network.hub: {frontEndSubnetId: <subnet id in your hub/transit "
                  "VNet>}` (plus `privateDnsZoneId: <central privatelink.azuredatabricks.net zone "
                  "id>` or `dnsResourceGroupName: <rg for a zone this stack declares>`); see "
                  "README, \"Network topology\"")


@check
def check_hub_shape(s: Settings) -> Iterator[Problem]:
    """The hub block is complete, unambiguous and really outside the workspace VNet."""
    ws = s.workspace
    hub = s.network.hub
    if hub is None:
        return
    if not ws.private_link.enabled:
        yield problem(key(*HUB), "declares front-end private endpoints, but private link is off",
                      "set `workspace.privateLink.enabled: true`, or remove `network.hub`")
    yield from _dns(hub, ws)
    yield from _outside_workspace_vnet(hub, s.network, ws, s.subscription_id)
    for field, value in (("dnsResourceGroupName", hub.dns_resource_group_name),
                         ("endpointResourceGroupName", hub.endpoint_resource_group_name)):
        if value is not None and not AZURE_NAME.match(value):
            yield problem(key(*HUB, field), "is not a valid Azure resource group name",
                          "use 3-64 letters, digits, '-', '_' or '.', not ending in '.' or '-'",
                          value)


def _dns(hub: Hub, ws: Workspace) -> Iterator[Problem]:
    """Exactly one source for the front-end zone; a declared one needs its own group."""
    if hub.private_dns_zone_id and hub.dns_resource_group_name:
        yield problem(key(*HUB, "dnsResourceGroupName"), "is set together with privateDnsZoneId: "
                      "the front-end endpoints would register in the central zone and the "
                      "declared zone would stay empty", "keep privateDnsZoneId (central zone) or "
                      "dnsResourceGroupName (a zone this stack declares), not both",
                      hub.dns_resource_group_name)
    if not hub.private_dns_zone_id and not hub.dns_resource_group_name:
        yield problem(key(*HUB, "privateDnsZoneId"), "the front-end endpoints need a "
                      "privatelink.azuredatabricks.net zone that the hub resolves, and none is "
                      "given", "set privateDnsZoneId to your central zone's resource id, or "
                      "dnsResourceGroupName to a resource group where this stack declares the "
                      "zone and links it to the hub")
    name = hub.dns_resource_group_name
    if name and name.casefold() in (ws.resource_group_name.casefold(),
                                    ws.managed_resource_group_name.casefold()):
        yield problem(key(*HUB, "dnsResourceGroupName"), "must be a resource group of its own: "
                      "the workspace resource group already holds the back-end "
                      "privatelink.azuredatabricks.net zone (a zone name is unique per resource "
                      "group), and Azure Databricks locks the managed one",
                      "use e.g. '<workspace.resourceGroupName>-dns'", name)


def _outside_workspace_vnet(hub: Hub, net: Network, ws: Workspace,
                            subscription: str) -> Iterator[Problem]:
    """The front-end subnet must not be a subnet of the workspace VNet itself."""
    same_vnet = (UUID(hub.subscription_id) == UUID(subscription)
                 and hub.resource_group_name.casefold() == ws.resource_group_name.casefold()
                 and hub.virtual_network_name.casefold() == net.vnet_name.casefold())
    if same_vnet:
        yield problem(key(*HUB, "frontEndSubnetId"), "is a subnet of the workspace VNet itself, "
                      "so DNS and the endpoint would again reach nobody outside that VNet",
                      "use a subnet of the existing hub/transit VNet that users and runners "
                      "reach", hub.front_end_subnet_id)


@check
def check_vnet_name(s: Settings) -> Iterator[Problem]:
    """The virtual network's name is one ARM accepts."""
    name = s.network.vnet_name
    if not VNET_NAME.fullmatch(name):
        yield problem(key("network", "vnetName"), "is not a valid virtual network name (ARM: "
                      "2-64 letters, digits, '_', '.' and '-', starting with a letter or digit, "
                      "ending with a letter, digit or '_')", "use e.g. vnet-fabrikam-ml-prod",
                      name)
