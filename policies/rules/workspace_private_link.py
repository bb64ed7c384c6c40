"""How a workspace is reached privately: its databricks_ui_api private endpoint, and DNS for
that endpoint that resolves beyond the workspace's own VNet.
"""

from __future__ import annotations

from typing import Any, Optional

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from ._common import UNKNOWN, Report, depends_on, label, of_type, peek, raw_elements, read, read_all
from ._policy import AP_PRIVATE_LINK, Controls, Family
from ._types import PRIVATE_ENDPOINT, PRIVATE_ZONE, WORKSPACE, ZONE_GROUP, ZONE_LINK
from .workspace import refers, workspace_param

policy = Family("workspace")


DATABRICKS_UI_API = "databricks_ui_api"


def _ui_api_links(endpoint: PolicyResource, workspace: PolicyResource) -> list[Optional[bool]]:
    """For each auto-approved connection of the endpoint: does it serve the workspace UI/API?"""
    connections = peek(endpoint.props, "privateLinkServiceConnections")
    if connections is UNKNOWN:
        return [None]
    results: list[Optional[bool]] = []
    for conn in raw_elements(connections):
        if conn is UNKNOWN or peek(conn, "groupIds") is UNKNOWN:
            results.append(None)
            continue
        groups = raw_elements(peek(conn, "groupIds"))
        if UNKNOWN in groups:
            results.append(None)
            continue
        if DATABRICKS_UI_API not in groups:
            results.append(False)
            continue
        target = peek(conn, "privateLinkServiceId")
        results.append(refers(endpoint, "privateLinkServiceConnections", target, workspace))
    return results


@policy.stack(
    name="databricks-workspace-private-endpoint",
    severity=Severity.HIGH,
    controls=Controls(
        soc2=("CC6.6", "CC6.7"), iso27001=("A.8.20", "A.8.21"), cis=("v5.0.0-2.1.11",),
        azure_policy=(AP_PRIVATE_LINK,),
    ),
    remediation=(
        "Declare an azure-native network PrivateEndpoint with privateLinkServiceConnections="
        "[{'privateLinkServiceId': workspace.id, 'groupIds': ['databricks_ui_api']}] plus its "
        "privatelink.azuredatabricks.net DNS zone group."
    ),
)
def check_private_endpoint(args: StackValidationArgs, report: Report) -> None:
    """Every Azure Databricks workspace has a databricks_ui_api private endpoint."""
    endpoints = of_type(args.resources, PRIVATE_ENDPOINT)
    for workspace in of_type(args.resources, WORKSPACE):
        links = {ep.urn: _ui_api_links(ep, workspace) for ep in endpoints}
        if any(True in found for found in links.values()):
            continue
        for endpoint in endpoints:
            if None in links[endpoint.urn]:
                # Undecidable in preview: read the unknown so the SDK reports it.
                read_all(endpoint.props, "privateLinkServiceConnections")
        report(
            f"workspace {label(workspace)} has no private endpoint for '{DATABRICKS_UI_API}'; add "
            "an azure-native:network:PrivateEndpoint whose privateLinkServiceConnections[] has "
            "privateLinkServiceId=<workspace id> and groupIds=['databricks_ui_api'].",
            workspace.urn,
        )


def _same_name(a: PolicyResource, b: PolicyResource, a_key: str, b_key: str) -> Optional[bool]:
    """Do ``a.<a_key>`` and ``b.<b_key>`` name the same thing in the same resource group?"""
    values = (peek(a.props, a_key), peek(b.props, b_key),
              peek(a.props, "resourceGroupName"), peek(b.props, "resourceGroupName"))
    if UNKNOWN in values:
        return None
    if not all(isinstance(v, str) for v in values):
        return False
    return values[0].lower() == values[1].lower() and values[2].lower() == values[3].lower()


def _zone_groups(endpoint: PolicyResource, groups: list[PolicyResource]) -> list[PolicyResource]:
    """The DNS zone groups of an endpoint (by dependency, else by endpoint name and group)."""
    found = []
    for group in groups:
        if depends_on(group, "privateEndpointName", endpoint):
            found.append(group)
        elif _same_name(group, endpoint, "privateEndpointName", "privateEndpointName"):
            found.append(group)
    return found


def _zone_ids(group: PolicyResource) -> list[Any]:
    """The ``privateDnsZoneId`` of every config of a zone group (UNKNOWN possible)."""
    configs = peek(group.props, "privateDnsZoneConfigs")
    if configs is UNKNOWN:
        return [UNKNOWN]
    return [UNKNOWN if c is UNKNOWN else peek(c, "privateDnsZoneId") for c in raw_elements(configs)]


def _declared_zone(group: PolicyResource, zone_id: Any,
                   zones: list[PolicyResource]) -> Optional[PolicyResource]:
    """The zone of this stack a zone group points at; None for a zone declared elsewhere."""
    for zone in zones:
        own_id = peek(zone.props, "id")
        if isinstance(zone_id, str) and isinstance(own_id, str) \
                and own_id.lower() == zone_id.lower():
            return zone
    for zone in zones:
        if depends_on(group, "privateDnsZoneConfigs", zone):
            return zone
    return None


def _vnet_of_link(link: PolicyResource) -> Any:
    return peek(link.props, "virtualNetwork", "id")


def _resolves_beyond(zone: PolicyResource, links: list[PolicyResource],
                     workspace_vnet: Any) -> Optional[bool]:
    """Is the zone linked to a VNet other than the workspace's own? None when undecidable."""
    undecided = False
    for link in links:
        same_zone = True if depends_on(link, "privateZoneName", zone) else _same_name(
            link, zone, "privateZoneName", "privateZoneName")
        if same_zone is None:
            undecided = True
            continue
        if not same_zone:
            continue
        vnet = _vnet_of_link(link)
        if vnet is UNKNOWN or workspace_vnet is UNKNOWN:
            undecided = True
            continue
        if isinstance(vnet, str) and not (isinstance(workspace_vnet, str)
                                          and vnet.lower() == workspace_vnet.lower()):
            return True
    return None if undecided else False


def _front_end_verdict(endpoint: PolicyResource, workspace: PolicyResource,
                       groups: list[PolicyResource], zones: list[PolicyResource],
                       links: list[PolicyResource]) -> Optional[bool]:
    """Does this endpoint's DNS reach beyond the workspace VNet? None when undecidable."""
    workspace_vnet = workspace_param(workspace.props, "customVirtualNetworkId")
    undecided = False
    for group in _zone_groups(endpoint, groups):
        for zone_id in _zone_ids(group):
            zone = _declared_zone(group, zone_id, zones)
            if zone is None:
                if zone_id is UNKNOWN:
                    undecided = True
                elif isinstance(zone_id, str) and zone_id:
                    return True  # an existing (central) zone: its links are managed centrally
                continue
            verdict = _resolves_beyond(zone, links, workspace_vnet)
            if verdict:
                return True
            undecided = undecided or verdict is None
    return None if undecided else False


@policy.stack(
    name="databricks-workspace-front-end-dns-beyond-vnet",
    severity=Severity.HIGH,
    controls=Controls(
        soc2=("CC6.6", "A1.2"), iso27001=("A.8.20", "A.8.21"), cis=("v5.0.0-2.1",),
    ),
    remediation=(
        "Declare the front-end azure-native network PrivateEndpoint (groupIds "
        "['databricks_ui_api']) in a subnet of the hub/transit VNet, with a "
        "PrivateDnsZoneGroup whose privateDnsZoneId is a privatelink.azuredatabricks.net zone "
        "linked (azure-native privatedns VirtualNetworkLink) to the hub VNet, or the id of "
        "your central zone."
    ),
)
def check_front_end_dns(args: StackValidationArgs, report: Report) -> None:
    """A workspace without public network access has a databricks_ui_api private endpoint whose DNS
    resolves beyond the workspace's own VNet."""
    endpoints = of_type(args.resources, PRIVATE_ENDPOINT)
    groups = of_type(args.resources, ZONE_GROUP)
    zones = of_type(args.resources, PRIVATE_ZONE)
    links = of_type(args.resources, ZONE_LINK)
    for workspace in of_type(args.resources, WORKSPACE):
        if read(workspace.props, "publicNetworkAccess") != "Disabled":
            continue
        serving = [ep for ep in endpoints if True in _ui_api_links(ep, workspace)]
        verdicts = [_front_end_verdict(ep, workspace, groups, zones, links) for ep in serving]
        if True in verdicts:
            continue
        if None in verdicts:
            # Undecidable in preview: read the unknowns so the SDK reports it.
            for group in groups:
                read_all(group.props, "privateDnsZoneConfigs")
            for link in links:
                read_all(link.props, "virtualNetwork")
            read_all(workspace.props, "parameters", "customVirtualNetworkId")
        report(
            f"workspace {label(workspace)} has public network access disabled, but no "
            f"'{DATABRICKS_UI_API}' private endpoint whose DNS resolves outside the workspace's "
            "own VNet: users, CI runners and the deployer could not resolve or reach it. Put "
            "the front-end endpoint in the hub/transit VNet and register it (DNS zone group) in "
            "a privatelink.azuredatabricks.net zone linked to the hub, or in your central zone.",
            workspace.urn,
        )
