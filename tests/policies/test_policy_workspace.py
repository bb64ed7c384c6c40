"""Workspace, network, logging, tagging and protection rules."""

from __future__ import annotations

import pytest
from policy_harness import (
    CONTAINER_SUBNET,
    DELETE,
    HOST_SUBNET,
    UNKNOWN,
    VNET_ID,
    WORKSPACE_ID,
    Case,
    check_case,
    compliant_stack,
    diagnostic_setting,
    dns_zone_group,
    dns_zone_link,
    entra_group,
    log_analytics,
    passes,
    preview,
    private_dns_zone,
    private_endpoint,
    resource_group,
    subnet,
    swap,
    violation,
    workspace,
)

PREMIUM = "databricks-workspace-premium-sku"
VNET = "databricks-workspace-vnet-injection"
NO_PUBLIC_IP = "databricks-workspace-no-public-ip"
PUBLIC_ACCESS = "databricks-workspace-public-network-access-disabled"
PRIVATE_ENDPOINT = "databricks-workspace-private-endpoint"
FRONT_END_DNS = "databricks-workspace-front-end-dns-beyond-vnet"
DIAGNOSTICS = "databricks-workspace-diagnostic-logs"
RETENTION = "log-analytics-retention"
CMK = "databricks-workspace-customer-managed-keys"
SUBNETS = "databricks-subnets-delegated-with-nsg"
TAGS = "azure-required-tags"
PROTECT = "protect-critical-resources"

VERSIONED_WORKSPACE = "azure-native:databricks/v20240501:Workspace"
ALL_CATEGORIES = [
    "accounts", "clusters", "jobs", "notebook", "workspace", "secrets", "mlflowExperiment",
    "modelRegistry", "unityCatalog",
]

PE_MESSAGE = (
    "workspace 'dbw-ml-prod' has no private endpoint for 'databricks_ui_api'; add an "
    "azure-native:network:PrivateEndpoint whose privateLinkServiceConnections[] has "
    "privateLinkServiceId=<workspace id> and groupIds=['databricks_ui_api']."
)
NO_DIAGNOSTICS = (
    "workspace 'dbw-ml-prod' has no azure-native:monitor:DiagnosticSetting; add one with "
    "resourceUri=<workspace id>, workspaceId=<Log Analytics workspace id> and "
    "logs=[{'categoryGroup': 'allLogs', 'enabled': True}]."
)
DIAG_FIX = "; set workspaceId and logs=[{'categoryGroup': 'allLogs', 'enabled': True}]."
NOT_DELEGATED = (
    "is not delegated to Microsoft.Databricks/workspaces (add delegations=[{'name': "
    "'databricks', 'serviceName': 'Microsoft.Databricks/workspaces'}])"
)
NO_NSG = "has no network security group (set networkSecurityGroup={'id': <nsg id>})"
REQUIRED_TAGS = "owner, cost-center, environment, data-classification"
UNREACHABLE = (
    "workspace 'dbw-ml-prod' has public network access disabled, but no 'databricks_ui_api' "
    "private endpoint whose DNS resolves outside the workspace's own VNet: users, CI runners "
    "and the deployer could not resolve or reach it. Put the front-end endpoint in the "
    "hub/transit VNet and register it (DNS zone group) in a privatelink.azuredatabricks.net "
    "zone linked to the hub, or in your central zone."
)
CENTRAL_ZONE_ID = ("/subscriptions/00000000-0000-0000-0000-00000000c001/resourceGroups/rg-dns/"
                   "providers/Microsoft.Network/privateDnsZones/privatelink.azuredatabricks.net")


def _stack(*replacements, drop=()):
    return swap(compliant_stack(), *replacements, drop=drop)


def _pe_connection(**changes):
    conn = {"name": "dbw-ui-api", "privateLinkServiceId": WORKSPACE_ID,
            "groupIds": ["databricks_ui_api"]}
    return private_endpoint().set("privateLinkServiceConnections", [{**conn, **changes}])


def _protect_message(token: str, name: str) -> str:
    return (
        f"{token} '{name}' is not protected; declare it with "
        "opts=pulumi.ResourceOptions(protect=True) so no update or destroy can delete it."
    )


CASES: list[Case] = [
    # --- premium SKU -----------------------------------------------------------------------
    passes(PREMIUM, "premium", workspace()),
    violation(PREMIUM, "standard", workspace().set("sku.name", "standard"),
              "sku.name is 'standard'; set sku.name to 'premium' (required for private link, "
              "customer-managed keys and object access control lists)."),
    violation(PREMIUM, "versioned-token",
              workspace().with_(type=VERSIONED_WORKSPACE).set("sku.name", "trial"),
              "sku.name is 'trial'; set sku.name to 'premium' (required for private link, "
              "customer-managed keys and object access control lists)."),
    violation(PREMIUM, "missing", workspace().set("sku", DELETE),
              "sku.name is not set; set sku={'name': 'premium'}."),
    preview(PREMIUM, "sku", workspace().set("sku.name", UNKNOWN), "sku.name"),
    # --- VNet injection --------------------------------------------------------------------
    passes(VNET, "injected", workspace()),
    passes(VNET, "unknown-vnet-id-counts-as-set",
           workspace().set("parameters.customVirtualNetworkId.value", UNKNOWN)),
    violation(VNET, "no-vnet", workspace().set("parameters.customVirtualNetworkId", DELETE),
              "parameters.customVirtualNetworkId.value not set; deploy the workspace into your "
              "own virtual network (VNet injection) by setting the VNet id and both delegated "
              "subnet names."),
    violation(VNET, "managed-vnet", workspace().set("parameters", {"enableNoPublicIp": {
        "value": True}}),
              "parameters.customVirtualNetworkId.value, parameters.customPublicSubnetName.value, "
              "parameters.customPrivateSubnetName.value not set; deploy the workspace into your "
              "own virtual network (VNet injection) by setting the VNet id and both delegated "
              "subnet names."),
    # --- no public IP ----------------------------------------------------------------------
    passes(NO_PUBLIC_IP, "scc", workspace()),
    violation(NO_PUBLIC_IP, "false", workspace().set("parameters.enableNoPublicIp.value", False),
              "parameters.enableNoPublicIp.value is False; set it to True (secure cluster "
              "connectivity) so cluster nodes get no public IP addresses."),
    violation(NO_PUBLIC_IP, "missing", workspace().set("parameters.enableNoPublicIp", DELETE),
              "parameters.enableNoPublicIp.value is not set; set it to True (secure cluster "
              "connectivity) so cluster nodes get no public IP addresses."),
    preview(NO_PUBLIC_IP, "flag", workspace().set("parameters.enableNoPublicIp.value", UNKNOWN),
            "parameters.enableNoPublicIp.value"),
    # --- public network access -------------------------------------------------------------
    passes(PUBLIC_ACCESS, "disabled", workspace()),
    violation(PUBLIC_ACCESS, "enabled", workspace().set("publicNetworkAccess", "Enabled"),
              "publicNetworkAccess is 'Enabled'; set publicNetworkAccess='Disabled' and reach the "
              "workspace through a private endpoint."),
    violation(PUBLIC_ACCESS, "default", workspace().set("publicNetworkAccess", DELETE),
              "publicNetworkAccess is not set (defaults to Enabled); set "
              "publicNetworkAccess='Disabled' and reach the workspace through a private "
              "endpoint."),
    violation(PUBLIC_ACCESS, "nsg-rules", workspace().set("requiredNsgRules", "AllRules"),
              "requiredNsgRules is 'AllRules'; with public network access disabled set "
              "requiredNsgRules='NoAzureDatabricksRules' (back-end Private Link)."),
    preview(PUBLIC_ACCESS, "access", workspace().set("publicNetworkAccess", UNKNOWN),
            "publicNetworkAccess"),
    # --- private endpoint (stack) ----------------------------------------------------------
    passes(PRIVATE_ENDPOINT, "endpoint", compliant_stack()),
    passes(PRIVATE_ENDPOINT, "by-dependency",
           _stack(_pe_connection(privateLinkServiceId=UNKNOWN).depends(
               "privateLinkServiceConnections", workspace()))),
    passes(PRIVATE_ENDPOINT, "by-arm-id-without-id-output",
           _stack(workspace().with_(outputs={}))),
    violation(PRIVATE_ENDPOINT, "missing", _stack(drop=["pe-dbw-ui-api"]), PE_MESSAGE),
    violation(PRIVATE_ENDPOINT, "browser-only",
              _stack(_pe_connection(groupIds=["browser_authentication"])), PE_MESSAGE),
    violation(PRIVATE_ENDPOINT, "other-workspace",
              _stack(_pe_connection(privateLinkServiceId=WORKSPACE_ID + "-other")), PE_MESSAGE),
    preview(PRIVATE_ENDPOINT, "target", _stack(_pe_connection(privateLinkServiceId=UNKNOWN)),
            "privateLinkServiceConnections.0.privateLinkServiceId"),
    # --- front-end DNS beyond the workspace VNet (stack) -----------------------------------
    passes(FRONT_END_DNS, "zone-linked-to-hub", compliant_stack()),
    passes(FRONT_END_DNS, "central-zone-by-id",
           _stack(dns_zone_group(CENTRAL_ZONE_ID), drop=["dns-dbw", "dns-link-hub"])),
    passes(FRONT_END_DNS, "zone-by-dependency", _stack(
        dns_zone_group().set("privateDnsZoneConfigs.0.privateDnsZoneId", UNKNOWN)
        .depends("privateDnsZoneConfigs", private_dns_zone()))),
    passes(FRONT_END_DNS, "linked-to-hub-and-workspace",
           _stack(dns_zone_link("dns-link-ws", VNET_ID))),
    passes(FRONT_END_DNS, "public-workspace-needs-nothing", _stack(
        workspace().set("publicNetworkAccess", "Enabled"), drop=["pe-dbw-ui-api-dns"])),
    violation(FRONT_END_DNS, "zone-linked-only-to-workspace-vnet",
              _stack(dns_zone_link().set("virtualNetwork.id", VNET_ID)), UNREACHABLE),
    violation(FRONT_END_DNS, "zone-not-linked", _stack(drop=["dns-link-hub"]), UNREACHABLE),
    violation(FRONT_END_DNS, "no-zone-group", _stack(drop=["pe-dbw-ui-api-dns"]), UNREACHABLE),
    violation(FRONT_END_DNS, "zone-group-of-another-endpoint",
              _stack(dns_zone_group().set("privateEndpointName", "pe-other")), UNREACHABLE),
    violation(FRONT_END_DNS, "link-of-another-zone", _stack(
        dns_zone_link().set("privateZoneName", "privatelink.blob.core.windows.net")),
              UNREACHABLE),
    violation(FRONT_END_DNS, "browser-auth-endpoint-only",
              _stack(_pe_connection(groupIds=["browser_authentication"])), UNREACHABLE),
    preview(FRONT_END_DNS, "zone-id", _stack(
        dns_zone_group().set("privateDnsZoneConfigs.0.privateDnsZoneId", UNKNOWN)),
            "privateDnsZoneConfigs.0.privateDnsZoneId"),
    # --- diagnostic settings (stack) -------------------------------------------------------
    passes(DIAGNOSTICS, "all-logs", compliant_stack()),
    passes(DIAGNOSTICS, "explicit-categories", _stack(diagnostic_setting().set(
        "logs", [{"category": c, "enabled": True} for c in ALL_CATEGORIES]))),
    passes(DIAGNOSTICS, "by-dependency", _stack(
        diagnostic_setting().set("resourceUri", UNKNOWN).depends("resourceUri", workspace()))),
    passes(DIAGNOSTICS, "target-from-own-id-in-outputs", _stack(
        diagnostic_setting().set("resourceUri", DELETE).set_output(
            "id", WORKSPACE_ID + "/providers/Microsoft.Insights/diagnosticSettings/diag-dbw"))),
    passes(DIAGNOSTICS, "unknown-log-analytics-id-counts-as-set",
           _stack(diagnostic_setting().set("workspaceId", UNKNOWN))),
    violation(DIAGNOSTICS, "missing", _stack(drop=["diag-dbw"]), NO_DIAGNOSTICS),
    violation(DIAGNOSTICS, "other-resource",
              _stack(diagnostic_setting().set("resourceUri", WORKSPACE_ID + "x")),
              NO_DIAGNOSTICS),
    violation(DIAGNOSTICS, "missing-category", _stack(diagnostic_setting().set(
        "logs", [{"category": c, "enabled": True} for c in ALL_CATEGORIES[:-1]])),
              "diagnostic setting 'diag-dbw' for workspace 'dbw-ml-prod' does not enable log "
              "categories ['unityCatalog']" + DIAG_FIX),
    violation(DIAGNOSTICS, "no-log-analytics",
              _stack(diagnostic_setting().set("workspaceId", DELETE)),
              "diagnostic setting 'diag-dbw' for workspace 'dbw-ml-prod' does not send to Log "
              "Analytics (workspaceId is not set)" + DIAG_FIX),
    violation(DIAGNOSTICS, "disabled-logs", _stack(diagnostic_setting().set(
        "logs.0.enabled", False).set("workspaceId", DELETE)),
              "diagnostic setting 'diag-dbw' for workspace 'dbw-ml-prod' does not send to Log "
              "Analytics (workspaceId is not set) and does not enable log categories "
              f"{ALL_CATEGORIES}" + DIAG_FIX),
    preview(DIAGNOSTICS, "resource-uri", _stack(diagnostic_setting().set("resourceUri", UNKNOWN)),
            "resourceUri"),
    # --- Log Analytics retention -----------------------------------------------------------
    passes(RETENTION, "365", log_analytics()),
    violation(RETENTION, "30", log_analytics().set("retentionInDays", 30),
              "retentionInDays is 30; set it to at least 365."),
    violation(RETENTION, "default", log_analytics().set("retentionInDays", DELETE),
              "retentionInDays is not set (the service default is 30 days); set it to at least "
              "365."),
    violation(RETENTION, "configured-minimum", log_analytics().set("retentionInDays", 365),
              "retentionInDays is 365; set it to at least 730.", config={"minRetentionDays": 730}),
    preview(RETENTION, "days", log_analytics().set("retentionInDays", UNKNOWN), "retentionInDays"),
    # --- customer-managed keys -------------------------------------------------------------
    passes(CMK, "all-scopes", workspace()),
    violation(CMK, "none", workspace().set("encryption", DELETE).set(
        "parameters.encryption", DELETE),
              "customer-managed keys are not configured for managed services "
              "(encryption.entities.managedServices), managed disks "
              "(encryption.entities.managedDisk), DBFS root (parameters.encryption.value); set "
              "keySource='Microsoft.Keyvault' with a Key Vault key for each."),
    violation(CMK, "dbfs-default",
              workspace().set("parameters.encryption.value.keySource", "Default"),
              "customer-managed keys are not configured for DBFS root "
              "(parameters.encryption.value); set keySource='Microsoft.Keyvault' with a Key Vault "
              "key for each."),
    preview(CMK, "key-source",
            workspace().set("encryption.entities.managedDisk.keySource", UNKNOWN),
            "encryption.entities.managedDisk.keySource"),
    # --- subnets (stack) -------------------------------------------------------------------
    passes(SUBNETS, "delegated", compliant_stack()),
    passes(SUBNETS, "names-unknown-but-dependencies", _stack(
        workspace().set("parameters.customPublicSubnetName.value", UNKNOWN)
        .depends("parameters", subnet(HOST_SUBNET), subnet(CONTAINER_SUBNET)))),
    passes(SUBNETS, "unknown-nsg-id-counts-as-set",
           _stack(subnet(HOST_SUBNET).set("networkSecurityGroup.id", UNKNOWN))),
    violation(SUBNETS, "not-delegated", _stack(subnet(HOST_SUBNET).set("delegations", [])),
              f"subnet '{HOST_SUBNET}' used by workspace 'dbw-ml-prod' {NOT_DELEGATED}."),
    violation(SUBNETS, "no-nsg", _stack(subnet(CONTAINER_SUBNET, "10.20.2.0/24").set(
        "networkSecurityGroup", DELETE)),
              f"subnet '{CONTAINER_SUBNET}' used by workspace 'dbw-ml-prod' {NO_NSG}."),
    violation(SUBNETS, "both", _stack(subnet(HOST_SUBNET).set("delegations", DELETE).set(
        "networkSecurityGroup", DELETE)),
              f"subnet '{HOST_SUBNET}' used by workspace 'dbw-ml-prod' {NOT_DELEGATED} and "
              f"{NO_NSG}."),
    violation(SUBNETS, "undeclared", _stack(drop=[CONTAINER_SUBNET]),
              f"workspace 'dbw-ml-prod' uses subnet '{CONTAINER_SUBNET}' but no "
              "azure-native:network:Subnet with that name is declared in this stack; declare it "
              "here so its delegation and network security group can be verified."),
    preview(SUBNETS, "subnet-name",
            _stack(workspace().set("parameters.customPublicSubnetName.value", UNKNOWN)),
            "parameters.customPublicSubnetName.value"),
    preview(SUBNETS, "delegation",
            _stack(subnet(HOST_SUBNET).set("delegations.0.serviceName", UNKNOWN)),
            "delegations.0.serviceName"),
    # --- tags ------------------------------------------------------------------------------
    passes(TAGS, "workspace", workspace()),
    passes(TAGS, "subnet-is-not-taggable", subnet()),
    passes(TAGS, "unknown-value-counts-as-set", workspace().set("tags.owner", UNKNOWN)),
    violation(TAGS, "missing-owner", workspace().set("tags.owner", DELETE),
              f"tags ['owner'] are missing or empty; set every required tag ({REQUIRED_TAGS}) on "
              "this resource."),
    violation(TAGS, "empty-and-missing", resource_group().set("tags.environment", "").set(
        "tags.data-classification", DELETE),
              "tags ['environment', 'data-classification'] are missing or empty; set every "
              f"required tag ({REQUIRED_TAGS}) on this resource."),
    violation(TAGS, "no-tags", private_endpoint().set("tags", DELETE),
              "tags ['owner', 'cost-center', 'environment', 'data-classification'] are missing "
              f"or empty; set every required tag ({REQUIRED_TAGS}) on this resource."),
    violation(TAGS, "configured-keys", log_analytics(),
              "tags ['service'] are missing or empty; set every required tag (owner, service) on "
              "this resource.", config={"requiredTags": ["owner", "service"]}),
    preview(TAGS, "tags", workspace().set("tags", UNKNOWN), "tags"),
    # --- protect ---------------------------------------------------------------------------
    passes(PROTECT, "protected", workspace()),
    passes(PROTECT, "not-critical", subnet()),
    violation(PROTECT, "workspace", workspace().with_(protect=False),
              _protect_message("azure-native:databricks:Workspace", "dbw-ml-prod")),
    violation(PROTECT, "versioned-workspace",
              workspace().with_(protect=False, type=VERSIONED_WORKSPACE),
              _protect_message(VERSIONED_WORKSPACE, "dbw-ml-prod")),
    violation(PROTECT, "entra-group", entra_group().with_(protect=False),
              _protect_message("azuread:index/group:Group", "grp-ml-engineers")),
    violation(PROTECT, "log-analytics", log_analytics().with_(protect=False),
              _protect_message("azure-native:operationalinsights:Workspace", "log-ml-prod")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}:{c.id}")
def test_workspace_rules(pack, case: Case) -> None:
    check_case(pack, case)


def test_dev_retention_minimum_is_90_days(dev_pack) -> None:
    assert dev_pack.messages(log_analytics().set("retentionInDays", 90), RETENTION) == []
    assert dev_pack.messages(log_analytics().set("retentionInDays", 60), RETENTION) == [
        "retentionInDays is 60; set it to at least 90."
    ]


def test_dev_disables_prod_only_rules(dev_pack) -> None:
    open_workspace = workspace().with_(protect=False).set("publicNetworkAccess", "Enabled")
    found = {d.policy for d in dev_pack.analyze(open_workspace)}
    assert PUBLIC_ACCESS not in found and PROTECT not in found
    stack = _stack(open_workspace, drop=["pe-dbw-ui-api"])
    assert PRIVATE_ENDPOINT not in {d.policy for d in dev_pack.analyze_stack(stack)}


def test_dev_network_hardening_is_advisory(dev_pack) -> None:
    weak = workspace().set("parameters.enableNoPublicIp.value", False).set(
        "parameters.customVirtualNetworkId", DELETE).set("encryption", DELETE)
    levels = {d.policy: d.level for d in dev_pack.analyze(weak)}
    assert levels[NO_PUBLIC_IP] == "advisory"
    assert levels[VNET] == "advisory"
    assert levels[CMK] == "advisory"
    stack = _stack(subnet(HOST_SUBNET).set("delegations", []))
    assert {d.level for d in dev_pack.analyze_stack(stack) if d.policy == SUBNETS} == {"advisory"}
