"""Azure Databricks workspace, network, logging, tagging and lifecycle rules."""

from __future__ import annotations

from typing import Any, Optional

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from ._common import (
    UNKNOWN,
    Controls,
    Report,
    config_int,
    config_strings,
    depends_on,
    elements,
    integer_property,
    is_set,
    is_type,
    label,
    lower,
    of_type,
    peek,
    raw_elements,
    read,
    read_all,
    resource_rule,
    stack_rule,
    string_list_property,
)

DOMAIN = "workspace"

WORKSPACE = "azure-native:databricks:Workspace"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
SUBNET = "azure-native:network:Subnet"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
PRIVATE_ZONE = "azure-native:privatedns:PrivateZone"
ZONE_LINK = "azure-native:privatedns:VirtualNetworkLink"

DATABRICKS_UI_API = "databricks_ui_api"
DATABRICKS_DELEGATION = "Microsoft.Databricks/workspaces"
KEY_VAULT_KEY_SOURCE = "microsoft.keyvault"
NO_AZURE_DATABRICKS_RULES = "NoAzureDatabricksRules"

DEFAULT_LOG_CATEGORIES = (
    "accounts",
    "clusters",
    "jobs",
    "notebook",
    "workspace",
    "secrets",
    "mlflowExperiment",
    "modelRegistry",
    "unityCatalog",
)
DEFAULT_REQUIRED_TAGS = ("owner", "cost-center", "environment", "data-classification")
DEFAULT_PROTECTED_TYPES = (
    WORKSPACE,
    RESOURCE_GROUP,
    LOG_ANALYTICS,
    "databricks:index/permissions:Permissions",
    "databricks:index/grants:Grants",
    "azuread:index/group:Group",
)
TAGGABLE_TYPES = (
    RESOURCE_GROUP,
    WORKSPACE,
    LOG_ANALYTICS,
    PRIVATE_ENDPOINT,
    "azure-native:network:VirtualNetwork",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:NatGateway",
    "azure-native:network:PublicIPAddress",
    "azure-native:privatedns:PrivateZone",
    "azure-native:privatedns:VirtualNetworkLink",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Secret",
    "azure-native:databricks:AccessConnector",
    "azure-native:storage:StorageAccount",
)

# Built-in Azure Policy definitions (Azure/azure-policy, category "Azure Databricks").
AP_PREMIUM_SKU = "2cc2c3b5-c2f8-45aa-a9e6-f90d85ae8352"
AP_VNET = "9c25c9e4-ee12-4882-afd2-11fb9d87893f"
AP_NO_PUBLIC_IP = "51c1490f-3319-459c-bbbc-7f391bbed753"
AP_PUBLIC_NETWORK_ACCESS = "0e7849de-b939-4c50-ab48-fc6b0f5eeba2"
AP_PRIVATE_LINK = "258823f2-4595-4b52-b333-cc96192710d8"
AP_RESOURCE_LOGS = "138ff14d-b687-4faa-a81c-898c91a87fa2"
AP_DIAG_TO_LOG_ANALYTICS = "23057b42-ca8d-4aa0-a3dc-96a98b5b5a3d"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _param(props: Any, name: str) -> Any:
    """Raw ``parameters.<name>.value`` of a workspace (UNKNOWN/None possible)."""
    return peek(props, "parameters", name, "value")


def _workspace_ref(value: Any, workspace: PolicyResource) -> Optional[bool]:
    """Does an ARM id value point at ``workspace``? None when the value is unknown."""
    if value is UNKNOWN:
        return None
    if not isinstance(value, str):
        return False
    own_id = peek(workspace.props, "id")
    if isinstance(own_id, str) and own_id.lower() == value.lower():
        return True
    name = peek(workspace.props, "workspaceName")
    if not isinstance(name, str):
        name = peek(workspace.props, "name")
    suffix = f"/providers/microsoft.databricks/workspaces/{name}".lower()
    return isinstance(name, str) and value.lower().endswith(suffix)


def _refers(
    source: PolicyResource, prop: str, value: Any, target: PolicyResource
) -> Optional[bool]:
    """True via a property dependency or a matching id; None when undecidable in preview."""
    if depends_on(source, prop, target):
        return True
    return _workspace_ref(value, target)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def check_premium_sku(args: ResourceValidationArgs, report: Report) -> None:
    """The workspace SKU must be premium."""
    sku = read(args.props, "sku", "name")
    if sku is None:
        report("sku.name is not set; set sku={'name': 'premium'}.")
    elif lower(sku) != "premium":
        report(
            f"sku.name is '{sku}'; set sku.name to 'premium' (required for private link, "
            "customer-managed keys and object access control lists)."
        )


def check_vnet_injection(args: ResourceValidationArgs, report: Report) -> None:
    """The workspace must be deployed into a customer-managed VNet."""
    required = ("customVirtualNetworkId", "customPublicSubnetName", "customPrivateSubnetName")
    missing = [name for name in required if not is_set(_param(args.props, name))]
    if missing:
        fields = ", ".join(f"parameters.{name}.value" for name in missing)
        report(
            f"{fields} not set; deploy the workspace into your own virtual network "
            "(VNet injection) by setting the VNet id and both delegated subnet names."
        )


def check_no_public_ip(args: ResourceValidationArgs, report: Report) -> None:
    """Cluster nodes must not get public IP addresses."""
    value = read(args.props, "parameters", "enableNoPublicIp", "value")
    if value is not True:
        shown = "not set" if value is None else repr(value)
        report(
            f"parameters.enableNoPublicIp.value is {shown}; set it to True (secure cluster "
            "connectivity) so cluster nodes get no public IP addresses."
        )


def check_public_network_access(args: ResourceValidationArgs, report: Report) -> None:
    """Public network access must be disabled and back-end NSG rules left to Private Link."""
    access = read(args.props, "publicNetworkAccess")
    if access != "Disabled":
        shown = "not set (defaults to Enabled)" if access is None else f"'{access}'"
        report(
            f"publicNetworkAccess is {shown}; set publicNetworkAccess='Disabled' and reach the "
            "workspace through a private endpoint."
        )
        return
    rules = read(args.props, "requiredNsgRules")
    if rules != NO_AZURE_DATABRICKS_RULES:
        shown = "not set" if rules is None else f"'{rules}'"
        report(
            f"requiredNsgRules is {shown}; with public network access disabled set "
            "requiredNsgRules='NoAzureDatabricksRules' (back-end Private Link)."
        )


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
        results.append(_refers(endpoint, "privateLinkServiceConnections", target, workspace))
    return results


def check_private_endpoint(args: StackValidationArgs, report: Report) -> None:
    """Every workspace needs a private endpoint for the databricks_ui_api sub-resource."""
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
    workspace_vnet = _param(workspace.props, "customVirtualNetworkId")
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


def check_front_end_dns(args: StackValidationArgs, report: Report) -> None:
    """A private workspace's UI/API endpoint resolves from beyond the workspace's own VNet."""
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


def _diagnostic_problems(setting: PolicyResource, required: list[str]) -> list[str]:
    """What is wrong with a diagnostic setting that targets a workspace (empty = compliant)."""
    problems: list[str] = []
    if not is_set(peek(setting.props, "workspaceId")):
        problems.append("does not send to Log Analytics (workspaceId is not set)")
    enabled_groups: set[str] = set()
    enabled_categories: set[str] = set()
    for entry in elements(read(setting.props, "logs")):
        if read(entry, "enabled") is not True:
            continue
        group = read(entry, "categoryGroup")
        category = read(entry, "category")
        if isinstance(group, str):
            enabled_groups.add(group.lower())
        if isinstance(category, str):
            enabled_categories.add(category.lower())
    if "alllogs" not in enabled_groups:
        missing = [c for c in required if c.lower() not in enabled_categories]
        if missing:
            problems.append(f"does not enable log categories {missing}")
    return problems


def _diagnostic_target(setting: PolicyResource) -> Any:
    """The resource a diagnostic setting is attached to: ``resourceUri``, else its id's prefix."""
    uri = peek(setting.props, "resourceUri")
    if uri is not None:
        return uri
    own_id = peek(setting.props, "id")
    marker = "/providers/microsoft.insights/diagnosticsettings/"
    if isinstance(own_id, str) and marker in own_id.lower():
        return own_id[: own_id.lower().index(marker)]
    return None


def check_diagnostic_logs(args: StackValidationArgs, report: Report) -> None:
    """Every workspace streams all its resource logs to a Log Analytics workspace."""
    required = config_strings(args.get_config(), "requiredLogCategories", DEFAULT_LOG_CATEGORIES)
    settings = of_type(args.resources, DIAGNOSTIC_SETTING)
    for workspace in of_type(args.resources, WORKSPACE):
        decided = {s.urn: _refers(s, "resourceUri", _diagnostic_target(s), workspace)
                   for s in settings}
        targeting = [s for s in settings if decided[s.urn] is True]
        if not targeting:
            for setting in settings:
                if decided[setting.urn] is None:
                    read(setting.props, "resourceUri")
            report(
                f"workspace {label(workspace)} has no azure-native:monitor:DiagnosticSetting; add "
                "one with resourceUri=<workspace id>, workspaceId=<Log Analytics workspace id> "
                "and logs=[{'categoryGroup': 'allLogs', 'enabled': True}].",
                workspace.urn,
            )
            continue
        problems = {s.urn: _diagnostic_problems(s, required) for s in targeting}
        if any(not found for found in problems.values()):
            continue
        for setting in targeting:
            report(
                f"diagnostic setting {label(setting)} for workspace {label(workspace)} "
                + " and ".join(problems[setting.urn])
                + "; set workspaceId and logs=[{'categoryGroup': 'allLogs', 'enabled': True}].",
                setting.urn,
            )


def check_log_retention(args: ResourceValidationArgs, report: Report) -> None:
    """The Log Analytics workspace keeps logs for at least the configured number of days."""
    minimum = config_int(args.get_config(), "minRetentionDays", 365)
    days = read(args.props, "retentionInDays")
    if days is None:
        report(
            f"retentionInDays is not set (the service default is 30 days); set it to at least "
            f"{minimum}."
        )
    elif isinstance(days, bool) or not isinstance(days, (int, float)):
        report(f"retentionInDays is {days!r}, not a number; set it to at least {minimum}.")
    elif days < minimum:
        report(f"retentionInDays is {int(days)}; set it to at least {minimum}.")


def check_customer_managed_keys(args: ResourceValidationArgs, report: Report) -> None:
    """Managed services, managed disks and DBFS are encrypted with customer-managed keys."""
    sources = {
        "managed services (encryption.entities.managedServices)": read(
            args.props, "encryption", "entities", "managedServices", "keySource"
        ),
        "managed disks (encryption.entities.managedDisk)": read(
            args.props, "encryption", "entities", "managedDisk", "keySource"
        ),
        "DBFS root (parameters.encryption.value)": read(
            args.props, "parameters", "encryption", "value", "keySource"
        ),
    }
    missing = [scope for scope, source in sources.items() if lower(source) != KEY_VAULT_KEY_SOURCE]
    if missing:
        report(
            "customer-managed keys are not configured for " + ", ".join(missing)
            + "; set keySource='Microsoft.Keyvault' with a Key Vault key for each."
        )


def _subnet_name(subnet: PolicyResource) -> Any:
    """The subnet's name (input ``subnetName`` or output ``name``)."""
    name = peek(subnet.props, "subnetName")
    return name if name is not None else peek(subnet.props, "name")


def _same_vnet(subnet: PolicyResource, vnet_id: Any) -> bool:
    """False only when the subnet's VNet name and the workspace VNet id are known and differ."""
    vnet_name = peek(subnet.props, "virtualNetworkName")
    if not isinstance(vnet_name, str) or not isinstance(vnet_id, str):
        return True
    return vnet_id.lower().endswith(f"/virtualnetworks/{vnet_name.lower()}")


def _workspace_subnets(
    workspace: PolicyResource, subnets: list[PolicyResource]
) -> tuple[list[PolicyResource], list[str]]:
    """Subnets the workspace uses (by name or dependency) and the names not found in the stack."""
    vnet_id = _param(workspace.props, "customVirtualNetworkId")
    by_dependency = [s for s in subnets if depends_on(workspace, "parameters", s)]
    found: dict[str, PolicyResource] = {s.urn: s for s in by_dependency}
    not_found: list[str] = []
    for key in ("customPublicSubnetName", "customPrivateSubnetName"):
        name = _param(workspace.props, key)
        if name is None:
            continue
        if name is UNKNOWN:
            if not by_dependency:
                read(workspace.props, "parameters", key, "value")
            continue
        matches = [s for s in subnets if _subnet_name(s) == name and _same_vnet(s, vnet_id)]
        found.update({s.urn: s for s in matches})
        if not matches and not by_dependency:
            not_found.append(str(name))
    return list(found.values()), not_found


def _subnet_problems(subnet: PolicyResource) -> list[str]:
    """Missing Databricks delegation / NSG association of one subnet."""
    problems: list[str] = []
    services = [read(d, "serviceName") for d in elements(read(subnet.props, "delegations"))]
    if DATABRICKS_DELEGATION.lower() not in [lower(s) for s in services]:
        problems.append(
            "is not delegated to Microsoft.Databricks/workspaces (add delegations=[{'name': "
            "'databricks', 'serviceName': 'Microsoft.Databricks/workspaces'}])"
        )
    if not is_set(peek(subnet.props, "networkSecurityGroup", "id")):
        problems.append("has no network security group (set networkSecurityGroup={'id': <nsg id>})")
    return problems


def check_subnets(args: StackValidationArgs, report: Report) -> None:
    """Workspace subnets are delegated to Databricks and associated with an NSG."""
    subnets = of_type(args.resources, SUBNET)
    for workspace in of_type(args.resources, WORKSPACE):
        used, not_found = _workspace_subnets(workspace, subnets)
        for name in not_found:
            report(
                f"workspace {label(workspace)} uses subnet '{name}' but no "
                "azure-native:network:Subnet with that name is declared in this stack; declare it "
                "here so its delegation and network security group can be verified.",
                workspace.urn,
            )
        for subnet in used:
            problems = _subnet_problems(subnet)
            if problems:
                report(
                    f"subnet {label(subnet)} used by workspace {label(workspace)} "
                    + " and ".join(problems) + ".",
                    subnet.urn,
                )


def check_required_tags(args: ResourceValidationArgs, report: Report) -> None:
    """Taggable Azure resources carry every required tag with a non-empty value."""
    required = config_strings(args.get_config(), "requiredTags", DEFAULT_REQUIRED_TAGS)
    tags = read(args.props, "tags")
    missing = [key for key in required if not is_set(peek(tags, key))]
    if missing:
        report(
            f"tags {missing} are missing or empty; set every required tag "
            f"({', '.join(required)}) on this resource."
        )


def check_protect(args: ResourceValidationArgs, report: Report) -> None:
    """Critical resources are declared with ``protect=True``."""
    protected = config_strings(args.get_config(), "protectedTypes", DEFAULT_PROTECTED_TYPES)
    if not is_type(args.resource_type, *protected):
        return
    if not args.opts.protect:
        report(
            f"{args.resource_type} '{args.name}' is not protected; declare it with "
            "opts=pulumi.ResourceOptions(protect=True) so no update or destroy can delete it."
        )


# ---------------------------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------------------------

POLICIES = [
    resource_rule(
        name="databricks-workspace-premium-sku",
        description="Azure Databricks workspaces use the Premium SKU.",
        domain=DOMAIN,
        types=[WORKSPACE],
        check=check_premium_sku,
        severity=Severity.HIGH,
        controls=Controls(
            soc2=("CC6.1",), iso27001=("A.8.3", "A.8.24"), cis=("v5.0.0-2.1",),
            azure_policy=(AP_PREMIUM_SKU,),
        ),
        remediation="Set sku={'name': 'premium'} on the azure-native databricks Workspace.",
    ),
    resource_rule(
        name="databricks-workspace-vnet-injection",
        description="Azure Databricks workspaces are deployed into a customer-managed VNet.",
        domain=DOMAIN,
        types=[WORKSPACE],
        check=check_vnet_injection,
        severity=Severity.HIGH,
        controls=Controls(
            soc2=("CC6.6",), iso27001=("A.8.20", "A.8.22"), cis=("v4.0.0-3.1.1",),
            azure_policy=(AP_VNET,),
        ),
        remediation=(
            "Set parameters.customVirtualNetworkId, customPublicSubnetName and "
            "customPrivateSubnetName ({'value': ...}) to your VNet and its two delegated subnets."
        ),
    ),
    resource_rule(
        name="databricks-workspace-no-public-ip",
        description="Azure Databricks cluster nodes have no public IP addresses.",
        domain=DOMAIN,
        types=[WORKSPACE],
        check=check_no_public_ip,
        severity=Severity.HIGH,
        controls=Controls(
            soc2=("CC6.6",), iso27001=("A.8.20",), cis=("v5.0.0-2.1",),
            azure_policy=(AP_NO_PUBLIC_IP,),
        ),
        remediation=(
            "Set parameters.enableNoPublicIp={'value': True} (secure cluster connectivity)."
        ),
    ),
    resource_rule(
        name="databricks-workspace-public-network-access-disabled",
        description="Azure Databricks workspaces disable public network access (production).",
        domain=DOMAIN,
        types=[WORKSPACE],
        check=check_public_network_access,
        severity=Severity.HIGH,
        controls=Controls(
            soc2=("CC6.6",), iso27001=("A.8.20", "A.8.21"), cis=("v5.0.0-2.1",),
            azure_policy=(AP_PUBLIC_NETWORK_ACCESS,),
        ),
        remediation=(
            "Set publicNetworkAccess='Disabled' and requiredNsgRules='NoAzureDatabricksRules', "
            "and add a databricks_ui_api private endpoint."
        ),
    ),
    stack_rule(
        name="databricks-workspace-private-endpoint",
        description="Every Azure Databricks workspace has a databricks_ui_api private endpoint.",
        domain=DOMAIN,
        check=check_private_endpoint,
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
    ),
    stack_rule(
        name="databricks-workspace-front-end-dns-beyond-vnet",
        description=(
            "A workspace without public network access has a databricks_ui_api private "
            "endpoint whose DNS resolves beyond the workspace's own VNet."
        ),
        domain=DOMAIN,
        check=check_front_end_dns,
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
    ),
    stack_rule(
        name="databricks-workspace-diagnostic-logs",
        description="Every Azure Databricks workspace sends all resource logs to Log Analytics.",
        domain=DOMAIN,
        check=check_diagnostic_logs,
        severity=Severity.HIGH,
        controls=Controls(
            soc2=("CC7.2",), iso27001=("A.8.15", "A.8.16"), cis=("v4.0.0-3.1.7",),
            azure_policy=(AP_RESOURCE_LOGS, AP_DIAG_TO_LOG_ANALYTICS),
        ),
        remediation=(
            "Declare an azure-native monitor DiagnosticSetting with resourceUri=workspace.id, "
            "workspaceId=<Log Analytics workspace id> and logs=[{'categoryGroup': 'allLogs', "
            "'enabled': True}]."
        ),
        config={
            "requiredLogCategories": string_list_property(
                DEFAULT_LOG_CATEGORIES,
                "Categories that must be enabled when categoryGroup 'allLogs' is not used.",
            ),
        },
    ),
    resource_rule(
        name="log-analytics-retention",
        description="Log Analytics workspaces retain logs for at least the configured days.",
        domain=DOMAIN,
        types=[LOG_ANALYTICS],
        check=check_log_retention,
        severity=Severity.MEDIUM,
        controls=Controls(soc2=("CC7.2",), iso27001=("A.8.15",)),
        remediation="Set retentionInDays on the Log Analytics workspace to the minimum or more.",
        config={
            "minRetentionDays": integer_property(365, "Minimum retentionInDays.", minimum=30),
        },
    ),
    resource_rule(
        name="databricks-workspace-customer-managed-keys",
        description="Azure Databricks workspaces encrypt data with customer-managed keys.",
        domain=DOMAIN,
        types=[WORKSPACE],
        check=check_customer_managed_keys,
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        controls=Controls(soc2=("CC6.1",), iso27001=("A.8.24",), cis=("v5.0.0-2.1",)),
        remediation=(
            "Set encryption.entities.managedServices and managedDisk to keySource "
            "'Microsoft.Keyvault' with keyVaultProperties, and parameters.encryption.value "
            "keySource 'Microsoft.Keyvault' for the DBFS root."
        ),
    ),
    stack_rule(
        name="databricks-subnets-delegated-with-nsg",
        description="Databricks workspace subnets are delegated to Databricks and have an NSG.",
        domain=DOMAIN,
        check=check_subnets,
        severity=Severity.MEDIUM,
        controls=Controls(soc2=("CC6.6",), iso27001=("A.8.20", "A.8.22"), cis=("v5.0.0-2.1.2",)),
        remediation=(
            "Declare both subnets as azure-native network Subnet resources with delegations to "
            "'Microsoft.Databricks/workspaces' and networkSecurityGroup={'id': nsg.id}."
        ),
    ),
    resource_rule(
        name="azure-required-tags",
        description="Taggable Azure resources carry the required tags.",
        domain=DOMAIN,
        types=TAGGABLE_TYPES,
        check=check_required_tags,
        severity=Severity.LOW,
        controls=Controls(soc2=("CC2.1",), iso27001=("A.5.9", "A.5.12")),
        remediation="Pass tags with every required key (non-empty values) to the resource.",
        config={
            "requiredTags": string_list_property(DEFAULT_REQUIRED_TAGS, "Tag keys to require."),
        },
    ),
    resource_rule(
        name="protect-critical-resources",
        description="Critical resources are protected against deletion (production).",
        domain=DOMAIN,
        types=(),
        check=check_protect,
        severity=Severity.HIGH,
        controls=Controls(soc2=("CC8.1", "A1.2"), iso27001=("A.8.32", "A.8.13")),
        remediation="Declare the resource with opts=pulumi.ResourceOptions(protect=True).",
        config={
            "protectedTypes": string_list_property(
                DEFAULT_PROTECTED_TYPES, "Type tokens that must be declared with protect=True."
            ),
        },
    ),
]
