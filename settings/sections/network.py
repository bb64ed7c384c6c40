"""VNet injection, private link and the hub-and-spoke (transit) topology."""

from __future__ import annotations

import re
from typing import Annotated, Optional
from uuid import UUID

from pydantic import AfterValidator

from settings.sections.base import Cidr, NonEmpty, Strict, is_uuid

PRIVATE_DNS_ZONE = "privatelink.azuredatabricks.net"
_ARM_RG = r"(?P<rg>[-\w.()]{0,89}[-\w()])"
_ARM_SUB = r"/subscriptions/(?P<sub>[0-9a-fA-F-]{36})/resourceGroups/" + _ARM_RG
# ARM ids are case-insensitive in their fixed segments; names keep their own rules.
_SUBNET_ID = re.compile(
    _ARM_SUB + r"/providers/Microsoft\.Network/virtualNetworks/"
    r"(?P<vnet>[A-Za-z0-9](?:[\w.-]{0,62}\w)?)"
    r"/subnets/(?P<subnet>[A-Za-z0-9](?:[\w.-]{0,78}\w)?)$",
    re.IGNORECASE)
_ZONE_ID = re.compile(
    _ARM_SUB + r"/providers/Microsoft\.Network/privateDnsZones/(?P<zone>[^/]+)$", re.IGNORECASE)


def _subnet_id(value: str) -> str:
    match = _SUBNET_ID.match(value)
    if match is None or not is_uuid(match["sub"]):
        raise ValueError(
            "is not the ARM resource id of a subnet; copy it from the subnet's Properties blade, "
            "e.g. /subscriptions/<uuid>/resourceGroups/<rg>/providers/Microsoft.Network/"
            "virtualNetworks/<vnet>/subnets/<subnet>")
    return value


def _zone_id(value: str) -> str:
    match = _ZONE_ID.match(value)
    if match is None or not is_uuid(match["sub"]):
        raise ValueError(
            "is not the ARM resource id of a private DNS zone, e.g. /subscriptions/<uuid>/"
            f"resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/{PRIVATE_DNS_ZONE}")
    if match["zone"].casefold() != PRIVATE_DNS_ZONE:
        raise ValueError(
            f"names the zone '{match['zone']}', but Azure Databricks private endpoints register "
            f"in {PRIVATE_DNS_ZONE}; give the id of your central {PRIVATE_DNS_ZONE} zone")
    return value


SubnetId = Annotated[str, AfterValidator(_subnet_id)]
PrivateDnsZoneId = Annotated[str, AfterValidator(_zone_id)]


class HubPeering(Strict):
    """VNet peering between the workspace VNet (spoke) and the hub.

    The spoke side is always declared. The hub side lives in the hub's resource group (often in
    the connectivity subscription) and belongs to the platform team: it is declared here only
    with ``declareHubSide: true``; otherwise it is a manual step (``manualSteps``).
    """

    allow_forwarded_traffic: bool = False
    use_remote_gateways: bool = False
    declare_hub_side: bool = False


class Hub(Strict):
    """The existing hub/transit VNet that users, runners and the deployer reach the workspace from.

    ``frontEndSubnetId``: the hub subnet for the front-end ``databricks_ui_api`` endpoint (and
    the ``browser_authentication`` one). ``privateDnsZoneId``: an existing central
    ``privatelink.azuredatabricks.net`` zone; without it the stack declares the zone in
    ``dnsResourceGroupName`` and links it to the hub VNet. ``endpointResourceGroupName``: where
    the front-end endpoints are created (default: the hub subnet's resource group); a private
    endpoint lives in its subnet's subscription.
    """

    front_end_subnet_id: SubnetId
    private_dns_zone_id: Optional[PrivateDnsZoneId] = None
    dns_resource_group_name: Optional[str] = None
    endpoint_resource_group_name: Optional[str] = None
    peering: Optional[HubPeering] = None

    def _part(self, name: str) -> str:
        match = _SUBNET_ID.match(self.front_end_subnet_id)
        assert match is not None  # validated above
        return match[name]

    @property
    def subscription_id(self) -> str:
        return str(UUID(self._part("sub")))

    @property
    def resource_group_name(self) -> str:
        return self._part("rg")

    @property
    def virtual_network_name(self) -> str:
        return self._part("vnet")

    @property
    def virtual_network_id(self) -> str:
        """The hub VNet's ARM id: the subnet id without ``/subnets/<name>``."""
        return self.front_end_subnet_id[: self.front_end_subnet_id.lower().rindex("/subnets/")]

    @property
    def endpoint_resource_group(self) -> str:
        return self.endpoint_resource_group_name or self.resource_group_name


class Network(Strict):
    """VNet injection. Subnets are /26 or larger, as Azure Databricks requires.

    ``privateEndpointSubnetCidr`` holds the back-end endpoint; ``hub`` the front-end ones.
    """

    vnet_name: NonEmpty
    address_space: Cidr
    public_subnet_cidr: Cidr
    private_subnet_cidr: Cidr
    private_endpoint_subnet_cidr: Optional[Cidr] = None
    hub: Optional[Hub] = None


class PrivateLink(Strict):
    enabled: bool = True
    browser_authentication: bool = False
