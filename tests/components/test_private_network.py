"""Hub-and-spoke variants of the private network, checked on the real program's plan.

The shipped prod stack declares the hub's zone and peers the spoke side only; these tests
change one thing each: a central zone, the hub side of the peering, a hub in the stack's own
subscription. Rules, not echoes: who resolves what, which subscription holds what, what waits
for what, and what is left to the platform team.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gate.capture import Plan
from gate.model import CapturedResource
from tests.conftest import NS, plan_for

ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
ZONE_LINK = "azure-native:privatedns:VirtualNetworkLink"
PEERING = "azure-native:network:VirtualNetworkPeering"
CENTRAL_ZONE = ("/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/"
                "rg-fabrikam-private-dns/providers/Microsoft.Network/privateDnsZones/"
                "privatelink.azuredatabricks.net")
HUB_SUBNET = ("/subscriptions/66666666-6666-6666-6666-666666666666/resourceGroups/rg-fabrikam-hub/"
              "providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-pe")

Config = dict[str, Any]


def _hub(mutate: Callable[[dict[str, Any]], None]) -> Callable[[Config], None]:
    def apply(cfg: Config) -> None:
        mutate(cfg[f"{NS}:network"]["hub"])

    return apply


def _central(hub: dict[str, Any]) -> None:
    hub.pop("dnsResourceGroupName")
    hub["privateDnsZoneId"] = CENTRAL_ZONE


def _declare_hub_side(hub: dict[str, Any]) -> None:
    hub["peering"].update(declareHubSide=True, useRemoteGateways=True)


def _same_subscription(hub: dict[str, Any]) -> None:
    hub["frontEndSubnetId"] = HUB_SUBNET


@pytest.fixture(scope="module")
def plan_central() -> Plan:
    return plan_for("prod", _hub(_central))


@pytest.fixture(scope="module")
def plan_hub_side() -> Plan:
    return plan_for("prod", _hub(_declare_hub_side))


@pytest.fixture(scope="module")
def plan_same_subscription() -> Plan:
    return plan_for("prod", _hub(_same_subscription))


def _front_end(plan: Plan) -> list[CapturedResource]:
    return [pe for pe in plan.by_type(ENDPOINT) if "-pe-hub-" in pe.name]


def _by_name(plan: Plan, token: str, name: str) -> CapturedResource:
    (found,) = [r for r in plan.by_type(token) if r.name == name]
    return found


# --- DNS: central zone ------------------------------------------------------------------

def test_central_zone_registers_the_front_end_and_declares_no_hub_zone(plan_central: Plan) -> None:
    front = _front_end(plan_central)
    assert len(front) == 2
    for pe in front:
        (group,) = [g for g in plan_central.by_type(ZONE_GROUP)
                    if g.inputs["privateEndpointName"] == pe.inputs["privateEndpointName"]]
        assert [c["privateDnsZoneId"] for c in group.inputs["privateDnsZoneConfigs"]] == [
            CENTRAL_ZONE]
    # The central zone's VNet links are the platform team's: only the back-end zone is ours.
    (zone,) = plan_central.by_type(ZONE)
    assert zone.inputs["resourceGroupName"] == "rg-fabrikam-ml-prod"
    (link,) = plan_central.by_type(ZONE_LINK)
    assert link.inputs["virtualNetwork"]["id"].endswith("/virtualNetworks/vnet-fabrikam-ml-prod")
    assert not [g for g in plan_central.by_type("azure-native:resources:ResourceGroup")
                if g.name == "workspace-hub-dns-rg"]


# --- peering ----------------------------------------------------------------------------

def test_spoke_side_peers_with_the_hub_and_the_hub_side_is_a_manual_step(plan_prod: Plan) -> None:
    (peering,) = plan_prod.by_type(PEERING)
    vnet = _by_name(plan_prod, "azure-native:network:VirtualNetwork", "workspace-vnet")
    assert peering.inputs["virtualNetworkName"] == vnet.inputs["virtualNetworkName"]
    assert peering.inputs["remoteVirtualNetwork"]["id"] == (
        "/subscriptions/88888888-8888-8888-8888-888888888888/resourceGroups/"
        "rg-fabrikam-connectivity-weu/providers/Microsoft.Network/virtualNetworks/"
        "vnet-fabrikam-hub-weu")
    assert peering.inputs["allowVirtualNetworkAccess"] is True
    assert peering.inputs["useRemoteGateways"] is False
    # Azure serialises writes to one VNet: the peering waits for the last subnet.
    last_subnet = _by_name(plan_prod, "azure-native:network:Subnet",
                           "workspace-subnet-private-endpoints")
    assert last_subnet.urn in peering.dependencies
    steps = [s for s in plan_prod.outputs["manualSteps"] if "VNet peering" in s]
    assert len(steps) == 1
    assert "rg-fabrikam-connectivity-weu" in steps[0] and "vnet-fabrikam-ml-prod" in steps[0]


def test_declared_hub_side_uses_the_hub_provider_and_comes_first(plan_hub_side: Plan) -> None:
    hub_side = _by_name(plan_hub_side, PEERING, "workspace-peering-from-hub")
    spoke_side = _by_name(plan_hub_side, PEERING, "workspace-peering-to-hub")
    (hub_provider,) = [p for p in plan_hub_side.by_type("pulumi:providers:azure-native")
                       if p.name == "azure-native-hub"]
    assert hub_provider.inputs["subscriptionId"] == "88888888-8888-8888-8888-888888888888"
    assert hub_side.provider.startswith(f"{hub_provider.urn}::")
    assert hub_side.inputs["virtualNetworkName"] == "vnet-fabrikam-hub-weu"
    assert hub_side.inputs["resourceGroupName"] == "rg-fabrikam-connectivity-weu"
    # useRemoteGateways on the spoke needs gateway transit on the hub side, created first.
    assert hub_side.inputs["allowGatewayTransit"] is True
    assert spoke_side.inputs["useRemoteGateways"] is True
    assert hub_side.urn in spoke_side.dependencies
    assert not [s for s in plan_hub_side.outputs["manualSteps"] if "VNet peering" in s]


# --- subscriptions ----------------------------------------------------------------------

def test_a_hub_in_the_stack_subscription_needs_no_second_provider(
        plan_same_subscription: Plan) -> None:
    providers = plan_same_subscription.by_type("pulumi:providers:azure-native")
    assert [p.name for p in providers] == ["azure-native"]
    for pe in _front_end(plan_same_subscription):
        assert pe.inputs["subnet"]["id"] == HUB_SUBNET
        assert pe.inputs["resourceGroupName"] == "rg-fabrikam-hub"


def test_dev_stays_public_without_hub_resources(plan_dev: Plan) -> None:
    for token in (ENDPOINT, ZONE, ZONE_LINK, ZONE_GROUP, PEERING):
        assert not plan_dev.by_type(token), token
    assert [p.name for p in plan_dev.by_type("pulumi:providers:azure-native")] == [
        "azure-native"]


# --- the policy on real plans ------------------------------------------------------------

FRONT_END_DNS = "databricks-workspace-front-end-dns-beyond-vnet"


def _private_without_hub(cfg: Config) -> None:
    """Yesterday's prod topology, in dev (which settings allow): endpoint and zone in-VNet only."""
    cfg[f"{NS}:workspace"]["publicNetworkAccess"] = "Disabled"
    cfg[f"{NS}:workspace"]["privateLink"] = {"enabled": True, "browserAuthentication": True}
    cfg[f"{NS}:network"]["privateEndpointSubnetCidr"] = "10.40.2.0/27"


def _front_end_violations(plan: Plan) -> list[str]:
    from gate.evaluate import evaluate
    from tests.conftest import ROOT

    result = evaluate(plan, ROOT / "policies", ROOT / "policies" / "config" / "prod.json")
    found = [f for f in result.findings if f.policy == FRONT_END_DNS]
    assert {f.enforcement_level for f in found} <= {"mandatory"}
    return [f.message for f in found]


def test_policy_flags_a_workspace_only_its_own_vnet_can_resolve() -> None:
    found = _front_end_violations(plan_for("dev", _private_without_hub))
    assert len(found) == 1 and "no 'databricks_ui_api' private endpoint whose DNS" in found[0]


def test_policy_accepts_the_hub_topology(plan_prod: Plan, plan_central: Plan) -> None:
    assert _front_end_violations(plan_prod) == []
    assert _front_end_violations(plan_central) == []
