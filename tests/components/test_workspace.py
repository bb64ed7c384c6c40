"""Rules the workspace component must satisfy, checked on the real program's plan.

Every assertion reads the captured registrations by wire name, as the engine and the policy
pack see them: no public network path in prod, delegated subnets behind the NSG, audit logs
that reach Log Analytics, protection and tags, optional features only when configured.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from gate.capture import Plan
from gate.model import CapturedResource
from settings import Settings, SettingsError, parse
from settings.checks import MIN_PROD_RETENTION_DAYS
from settings.load import raw_from_stack_document
from tests.conftest import NS, plan_for, stack_document

WORKSPACE = "azure-native:databricks:Workspace"
VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
NSG = "azure-native:network:NetworkSecurityGroup"
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
ZONE_LINK = "azure-native:privatedns:VirtualNetworkLink"
LAW = "azure-native:operationalinsights:Workspace"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"
ENTRA_DIAGNOSTICS = "azure-native:aadiam:DiagnosticSetting"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
REQUIRED_TAGS = ("owner", "cost-center", "environment", "data-classification")
STACKS = ("dev", "prod")
OUR_COMPONENTS = ("databricks-ml-entra:workspace:DatabricksWorkspace",
                  "databricks-ml-entra:identity:ManagedIdentities",
                  # managed identities (and Key Vault secrets) sit under their config entry
                  "databricks-ml-entra:config:ServicePrincipal")

Config = dict[str, Any]


# --- helpers -----------------------------------------------------------------------------

def the(plan: Plan, token: str) -> CapturedResource:
    found = plan.by_type(token)
    assert len(found) == 1, f"expected exactly one {token}, found {[r.name for r in found]}"
    return found[0]


def by_id(plan: Plan, token: str, rid: str) -> CapturedResource:
    found = [r for r in plan.by_type(token) if r.id == rid]
    assert found, f"no {token} has id {rid}"
    return found[0]


def azure_resources(plan: Plan) -> list[CapturedResource]:
    return [r for r in plan.resources if r.custom and r.type.startswith("azure-native:")]


def ours(plan: Plan) -> list[CapturedResource]:
    """The azure-native children of the workspace component and the identities' entries."""
    parents = {r.urn for r in plan.resources if r.type in OUR_COMPONENTS}
    return [r for r in azure_resources(plan) if r.parent in parents]


@cache
def taggable(token: str) -> bool:
    """Whether the azure-native SDK lets this resource type carry tags."""
    _, module, kind = token.split(":")
    cls = getattr(importlib.import_module(f"pulumi_azure_native.{module.split('/')[0]}"), kind)
    return "tags" in inspect.signature(cls._internal_init).parameters


@pytest.fixture(params=STACKS)
def stack_plan(request: pytest.FixtureRequest) -> tuple[str, Plan]:
    return request.param, request.getfixturevalue(f"plan_{request.param}")


def _hardened(cfg: Config) -> None:
    """dev plus customer-managed keys, infrastructure encryption and the compliance profile."""
    ws = cfg[f"{NS}:workspace"]
    ws["customerManagedKeys"] = {
        "keyVaultUri": "https://kv-fabrikam-ml-dev.vault.azure.net/",
        "managedServicesKeyName": "dbx-managed-services",
        "managedServicesKeyVersion": "0123456789abcdef0123456789abcdef",
        "managedDisksKeyName": "dbx-managed-disks",
        "managedDisksKeyVersion": "fedcba9876543210fedcba9876543210",
    }
    ws["infrastructureEncryption"] = True
    ws["enhancedSecurityCompliance"] = {"enabled": True, "complianceStandards": ["HIPAA"]}


@pytest.fixture(scope="module")
def plan_hardened() -> Plan:
    return plan_for("dev", _hardened)


# --- network: no public path in prod ------------------------------------------------------

def test_prod_has_no_public_network_path(plan_prod: Plan) -> None:
    ws = the(plan_prod, WORKSPACE)
    assert ws.inputs["publicNetworkAccess"] == "Disabled"
    # Clusters reach the control plane through the private endpoint, not Azure service tags.
    assert ws.inputs["requiredNsgRules"] == "NoAzureDatabricksRules"
    assert ws.inputs["parameters"]["enableNoPublicIp"]["value"] is True
    assert not plan_prod.by_type("azure-native:network:PublicIPAddress")


def _endpoints_by_group(plan: Plan, ws: CapturedResource) -> dict[str, list[CapturedResource]]:
    found: dict[str, list[CapturedResource]] = {}
    for pe in plan.by_type(ENDPOINT):
        (conn,) = pe.inputs["privateLinkServiceConnections"]
        assert conn["privateLinkServiceId"] == ws.id
        for group in conn["groupIds"]:
            found.setdefault(group, []).append(pe)
    return found


def _in_vnet(subnet_id: str, vnet_id: str) -> bool:
    return subnet_id.lower().startswith(vnet_id.lower() + "/subnets/")


def test_prod_back_end_endpoint_is_in_the_workspace_vnet(plan_prod: Plan) -> None:
    ws = the(plan_prod, WORKSPACE)
    vnet_id = ws.inputs["parameters"]["customVirtualNetworkId"]["value"]
    back_end = [pe for pe in _endpoints_by_group(plan_prod, ws)["databricks_ui_api"]
                if _in_vnet(pe.inputs["subnet"]["id"], vnet_id)]
    assert len(back_end) == 1
    subnet = by_id(plan_prod, SUBNET, back_end[0].inputs["subnet"]["id"])
    assert subnet.inputs["privateEndpointNetworkPolicies"] == "Disabled"


def test_prod_front_end_endpoints_are_in_the_hub_outside_the_workspace_vnet(
        plan_prod: Plan, settings_prod: Settings) -> None:
    """Users, runners and the deployer come from the hub: the UI/API and SSO endpoints too."""
    hub = settings_prod.network.hub
    assert hub is not None
    ws = the(plan_prod, WORKSPACE)
    vnet_id = ws.inputs["parameters"]["customVirtualNetworkId"]["value"]
    groups = _endpoints_by_group(plan_prod, ws)
    front = {g: [pe for pe in pes if not _in_vnet(pe.inputs["subnet"]["id"], vnet_id)]
             for g, pes in groups.items()}
    assert {g: len(pes) for g, pes in front.items()} == {"databricks_ui_api": 1,
                                                        "browser_authentication": 1}
    for (pe,) in front.values():
        assert pe.inputs["subnet"]["id"] == hub.front_end_subnet_id
        assert _in_vnet(pe.inputs["subnet"]["id"], hub.virtual_network_id)
        # A private endpoint lives in its subnet's subscription: the hub's, not the stack's.
        assert pe.id.startswith(f"/subscriptions/{hub.subscription_id}/resourceGroups/"
                                f"{hub.endpoint_resource_group}/")
    # SSO callbacks are served from the hub only: no browser endpoint left in the spoke.
    assert len(groups["browser_authentication"]) == 1


def _zone_of(plan: Plan, pe: CapturedResource) -> str:
    (group,) = [g for g in plan.by_type(ZONE_GROUP)
                if g.inputs["privateEndpointName"] == pe.inputs["privateEndpointName"]]
    (config,) = group.inputs["privateDnsZoneConfigs"]
    return config["privateDnsZoneId"]


def _linked_vnets(plan: Plan, zone: CapturedResource) -> set[str]:
    return {link.inputs["virtualNetwork"]["id"] for link in plan.by_type(ZONE_LINK)
            if link.inputs["privateZoneName"] == zone.inputs["privateZoneName"]
            and link.inputs["resourceGroupName"] == zone.inputs["resourceGroupName"]}


def test_prod_private_dns_zone_is_linked_to_the_hub(plan_prod: Plan,
                                                    settings_prod: Settings) -> None:
    hub = settings_prod.network.hub
    assert hub is not None
    ws = the(plan_prod, WORKSPACE)
    vnet_id = ws.inputs["parameters"]["customVirtualNetworkId"]["value"]
    zones = {z.id: z for z in plan_prod.by_type(ZONE)}
    for zone in zones.values():
        assert zone.inputs["privateZoneName"] == "privatelink.azuredatabricks.net"
        assert zone.inputs["location"] == "global"
    for link in plan_prod.by_type(ZONE_LINK):
        assert link.inputs["registrationEnabled"] is False
    for pe in plan_prod.by_type(ENDPOINT):
        zone = zones[_zone_of(plan_prod, pe)]
        linked = _linked_vnets(plan_prod, zone)
        if _in_vnet(pe.inputs["subnet"]["id"], vnet_id):
            assert linked == {vnet_id}, pe.name  # back-end: the clusters' VNet resolves it
        else:
            assert linked == {hub.virtual_network_id}, pe.name  # front-end: the hub resolves it


def test_each_vnet_resolves_the_workspace_to_one_endpoint(plan_prod: Plan) -> None:
    """Two ui_api endpoints in one zone overwrite each other's record; a VNet links one zone."""
    ws = the(plan_prod, WORKSPACE)
    zones_per_ui_api = [_zone_of(plan_prod, pe)
                        for pe in _endpoints_by_group(plan_prod, ws)["databricks_ui_api"]]
    assert len(zones_per_ui_api) == len(set(zones_per_ui_api)) == 2
    vnets = [link.inputs["virtualNetwork"]["id"] for link in plan_prod.by_type(ZONE_LINK)]
    assert len(vnets) == len(set(vnets))


def test_dev_without_private_link_declares_no_endpoint_or_zone(plan_dev: Plan) -> None:
    for token in (ENDPOINT, ZONE, ZONE_LINK, ZONE_GROUP):
        assert not plan_dev.by_type(token), token


def test_secure_cluster_connectivity_in_every_stack(stack_plan: tuple[str, Plan]) -> None:
    _, plan = stack_plan
    assert the(plan, WORKSPACE).inputs["parameters"]["enableNoPublicIp"]["value"] is True


def test_databricks_subnets_are_delegated_and_behind_the_nsg(
        stack_plan: tuple[str, Plan]) -> None:
    _, plan = stack_plan
    ws = the(plan, WORKSPACE)
    params = ws.inputs["parameters"]
    vnet = by_id(plan, VNET, params["customVirtualNetworkId"]["value"])
    nsg_ids = {n.id for n in plan.by_type(NSG)}
    for field in ("customPublicSubnetName", "customPrivateSubnetName"):
        (subnet,) = [s for s in plan.by_type(SUBNET)
                     if s.inputs["subnetName"] == params[field]["value"]
                     and s.inputs["virtualNetworkName"] == vnet.inputs["virtualNetworkName"]]
        services = [d["serviceName"] for d in subnet.inputs["delegations"]]
        assert services == ["Microsoft.Databricks/workspaces"], field
        assert subnet.inputs["networkSecurityGroup"]["id"] in nsg_ids, field
        # Referenced by name only: the workspace must wait for delegation and NSG.
        assert subnet.urn in ws.dependencies, field
    assert params["customPublicSubnetName"] != params["customPrivateSubnetName"]


def test_vnet_and_nsg_leave_subnets_and_rules_to_their_own_resources(
        stack_plan: tuple[str, Plan]) -> None:
    """Inline + standalone subnets (or inline NSG rules) fight on every `pulumi up`."""
    _, plan = stack_plan
    assert plan.by_type(SUBNET)
    for vnet in plan.by_type(VNET):
        assert "subnets" not in vnet.inputs, vnet.name
    for nsg in plan.by_type(NSG):
        assert "securityRules" not in nsg.inputs, nsg.name


# --- workspace ---------------------------------------------------------------------------

def test_workspace_is_premium_in_every_stack(stack_plan: tuple[str, Plan]) -> None:
    _, plan = stack_plan
    assert the(plan, WORKSPACE).inputs["sku"]["name"] == "premium"


def test_managed_resource_group_is_left_to_databricks(
        stack_plan: tuple[str, Plan], settings_dev: Settings, settings_prod: Settings) -> None:
    stack, plan = stack_plan
    s = settings_dev if stack == "dev" else settings_prod
    ws = the(plan, WORKSPACE)
    name = s.workspace.managed_resource_group_name
    assert ws.inputs["managedResourceGroupId"] == (
        f"/subscriptions/{s.subscription_id}/resourceGroups/{name}")
    assert plan.outputs["managedResourceGroupId"] == ws.inputs["managedResourceGroupId"]
    # Azure Databricks creates and locks it; a pre-created group makes the workspace fail.
    declared = {r.inputs.get("resourceGroupName", "").casefold()
                for r in plan.by_type(RESOURCE_GROUP)}
    assert name.casefold() not in declared


def test_outputs_feed_the_databricks_workspace_provider(stack_plan: tuple[str, Plan]) -> None:
    _, plan = stack_plan
    ws = the(plan, WORKSPACE)
    url = plan.outputs["workspaceUrl"]
    assert re.fullmatch(r"adb-\d+\.\d+\.azuredatabricks\.net", url), url
    assert url == ws.outputs["workspaceUrl"]
    assert plan.outputs["workspaceId"] == ws.outputs["workspaceId"]
    assert plan.outputs["workspaceId"].isdigit()
    assert plan.outputs["workspaceResourceId"] == ws.id
    (provider,) = [r for r in plan.by_type("pulumi:providers:databricks")
                   if r.name == "databricks-workspace"]
    assert provider.inputs["host"] == f"https://{url}"
    assert provider.inputs["azureWorkspaceResourceId"] == ws.id


def test_optional_features_follow_the_shipped_config(plan_dev: Plan, plan_prod: Plan) -> None:
    dev = the(plan_dev, WORKSPACE).inputs
    prod = the(plan_prod, WORKSPACE).inputs
    for inputs in (dev, prod):
        assert "encryption" not in inputs  # no customerManagedKeys in either stack
    assert "requireInfrastructureEncryption" not in dev["parameters"]
    assert "enhancedSecurityCompliance" not in dev
    assert prod["parameters"]["requireInfrastructureEncryption"]["value"] is True
    csp = prod["enhancedSecurityCompliance"]["complianceSecurityProfile"]
    assert csp == {"value": "Enabled", "complianceStandards": ["PCI_DSS"]}


def test_configured_keys_encryption_and_compliance_reach_the_workspace(
        plan_hardened: Plan) -> None:
    ws = the(plan_hardened, WORKSPACE).inputs
    entities = ws["encryption"]["entities"]
    for slot, key_name in (("managedServices", "dbx-managed-services"),
                           ("managedDisk", "dbx-managed-disks")):
        assert entities[slot]["keySource"] == "Microsoft.Keyvault", slot
        props = entities[slot]["keyVaultProperties"]
        assert props["keyName"] == key_name
        assert props["keyVaultUri"] == "https://kv-fabrikam-ml-dev.vault.azure.net/"
        assert re.fullmatch(r"[0-9a-f]{32}", props["keyVersion"])
    assert ws["parameters"]["requireInfrastructureEncryption"]["value"] is True
    esc = ws["enhancedSecurityCompliance"]
    assert esc["complianceSecurityProfile"] == {"value": "Enabled",
                                                "complianceStandards": ["HIPAA"]}
    assert esc["automaticClusterUpdate"] == {"value": "Enabled"}
    assert esc["enhancedSecurityMonitoring"] == {"value": "Enabled"}


# --- audit ---------------------------------------------------------------------------------

def test_diagnostic_setting_sends_all_workspace_logs_to_log_analytics(
        stack_plan: tuple[str, Plan]) -> None:
    _, plan = stack_plan
    ws = the(plan, WORKSPACE)
    law = the(plan, LAW)
    (diag,) = [d for d in plan.by_type(DIAGNOSTICS) if d.inputs["resourceUri"] == ws.id]
    assert diag.inputs["workspaceId"] == law.id
    assert {"categoryGroup": "allLogs", "enabled": True} in diag.inputs["logs"]


def test_log_retention_meets_the_environment_minimum(stack_plan: tuple[str, Plan]) -> None:
    stack, plan = stack_plan
    law = the(plan, LAW)
    assert law.inputs["sku"]["name"] == "PerGB2018"
    minimum = MIN_PROD_RETENTION_DAYS if stack == "prod" else 30
    assert law.inputs["retentionInDays"] >= minimum


def test_entra_logs_only_when_configured(plan_dev: Plan, plan_prod: Plan) -> None:
    assert not plan_dev.by_type(ENTRA_DIAGNOSTICS)
    entra = the(plan_prod, ENTRA_DIAGNOSTICS)
    assert entra.inputs["workspaceId"] == the(plan_prod, LAW).id
    enabled = {log["category"] for log in entra.inputs["logs"] if log["enabled"]}
    assert {"SignInLogs", "AuditLogs", "NonInteractiveUserSignInLogs",
            "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs"} <= enabled


# --- protection, tags, providers -------------------------------------------------------

def test_prod_critical_resources_are_protected(plan_prod: Plan) -> None:
    for token in (WORKSPACE, LAW):
        assert the(plan_prod, token).protect, token
    groups = plan_prod.by_type(RESOURCE_GROUP)
    assert {g.name for g in groups} == {"workspace-rg", "workspace-hub-dns-rg"}
    assert all(g.protect for g in groups)


def test_dev_resources_are_not_protected(plan_dev: Plan) -> None:
    protected = [r.name for r in ours(plan_dev) if r.protect]
    assert protected == []


def test_every_taggable_azure_resource_carries_the_required_tags(
        stack_plan: tuple[str, Plan], settings_dev: Settings, settings_prod: Settings) -> None:
    stack, plan = stack_plan
    wanted = {k: (settings_dev if stack == "dev" else settings_prod).all_tags[k]
              for k in REQUIRED_TAGS}
    checked = set()
    for r in ours(plan):
        if not taggable(r.type):
            continue
        tags = r.inputs.get("tags") or {}
        missing = {k: v for k, v in wanted.items() if tags.get(k) != v}
        assert not missing, f"{r.type} {r.name} lacks {missing}"
        checked.add(r.type)
    assert {RESOURCE_GROUP, WORKSPACE, VNET, NSG, LAW,
            "azure-native:managedidentity:UserAssignedIdentity"} <= checked


def test_azure_resources_use_the_stack_provider(stack_plan: tuple[str, Plan]) -> None:
    """Everything is in the stack's subscription except what lives in the hub's subnet."""
    _, plan = stack_plan
    providers = {p.name: p for p in plan.by_type("pulumi:providers:azure-native")}
    azure = providers["azure-native"]
    hub = providers.get("azure-native-hub")
    for r in azure_resources(plan):
        expected = azure
        if hub is not None and "-pe-hub-" in r.name:
            expected = hub
        assert r.provider.startswith(f"{expected.urn}::"), f"{r.type} {r.name}: {r.provider}"
    if hub is not None:
        assert hub.inputs["subscriptionId"] != azure.inputs["subscriptionId"]
        assert hub.inputs["tenantId"] == azure.inputs["tenantId"]


# --- settings rules behind the optional features -------------------------------------------

def _problems(mutate: Callable[[Config], None]) -> dict[str, str]:
    doc = stack_document("dev")
    mutate(doc["config"])
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, "Pulumi.dev.yaml"), stack="dev")
    return {p.key: p.render() for p in info.value.problems}


def test_a_customer_managed_key_needs_its_version() -> None:
    def mutate(cfg: Config) -> None:
        _hardened(cfg)
        cfg[f"{NS}:workspace"]["customerManagedKeys"].pop("managedDisksKeyVersion")

    problems = _problems(mutate)
    assert list(problems) == [f"{NS}:workspace.customerManagedKeys.managedDisksKeyVersion"]


def test_the_compliance_profile_keeps_monitoring_and_updates_on() -> None:
    def mutate(cfg: Config) -> None:
        _hardened(cfg)
        cfg[f"{NS}:workspace"]["enhancedSecurityCompliance"]["automaticClusterUpdate"] = False

    problems = _problems(mutate)
    assert list(problems) == [
        f"{NS}:workspace.enhancedSecurityCompliance.automaticClusterUpdate"]
