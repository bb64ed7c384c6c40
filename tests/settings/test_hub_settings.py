"""Bad input for the hub-and-spoke keys: refused with the key, the problem and the fix.

Each case starts from the shipped prod stack (which has ``network.hub``) and breaks one thing.
The first case is the rule the issue asks for: a private prod workspace with no private route
from outside its own VNet is refused before any resource is registered.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.capture import RecordingMonitor, capture
from gate.cli import main
from gate.mocks import TypeAwareMocks
from settings import SettingsError, parse
from settings.load import raw_from_stack_document
from tests.conftest import NS, ROOT, stack_document

Config = dict[str, Any]
HUB = f"{NS}:network.hub"
SUBNET = ("/subscriptions/88888888-8888-8888-8888-888888888888/resourceGroups/rg-hub/providers/"
          "Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-pe")


def refused(mutate: Callable[[dict[str, Any]], None], stack: str = "prod") -> SettingsError:
    """Parse the stack after ``mutate(hub)``; the settings must refuse it."""
    doc = stack_document(stack)
    cfg = doc["config"]
    mutate(cfg)
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, f"Pulumi.{stack}.yaml"), stack=stack)
    return info.value


def hub(change: Callable[[dict[str, Any]], None]) -> Callable[[Config], None]:
    def mutate(cfg: Config) -> None:
        change(cfg[f"{NS}:network"]["hub"])

    return mutate


def problem(err: SettingsError, key: str) -> str:
    found = [p.render() for p in err.problems if p.key == key]
    assert found, f"no problem for {key}:\n{err.render()}"
    return found[0]


def _no_hub(cfg: Config) -> None:
    del cfg[f"{NS}:network"]["hub"]


# --- the rule: prod must be reachable from outside its own VNet ----------------------------

def test_private_prod_without_a_hub_is_refused() -> None:
    msg = problem(refused(_no_hub), HUB)
    assert "no user, CI runner or deployer outside that VNet" in msg
    assert "fix: add `network.hub: {frontEndSubnetId:" in msg


def test_private_prod_without_a_hub_registers_nothing(tmp_path: Path) -> None:
    doc = stack_document("prod")
    _no_hub(doc["config"])
    monitor = RecordingMonitor(TypeAwareMocks())
    with pytest.raises(SettingsError) as info:
        capture("prod", raw_from_stack_document(doc, "Pulumi.prod.yaml"), monitor=monitor)
    assert HUB in {p.key for p in info.value.problems}
    assert monitor.records == [] and monitor.resources == {}


def test_private_prod_without_a_hub_exits_2(tmp_path: Path) -> None:
    doc = stack_document("prod")
    _no_hub(doc["config"])
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    out_io, err_io = io.StringIO(), io.StringIO()
    code = main(["prod", "--stack-file", str(path), "-q"], stdout=out_io, stderr=err_io)
    out, err = out_io.getvalue(), err_io.getvalue()
    assert code == 2 and out == ""
    assert f"{HUB}: the prod workspace has public network access disabled" in err
    assert "registered no resource" in err


def test_front_end_subnet_in_the_workspace_vnet_is_refused() -> None:
    own = ("/subscriptions/66666666-6666-6666-6666-666666666666/resourceGroups/RG-FABRIKAM-ML-PROD/"
           "providers/Microsoft.Network/virtualNetworks/vnet-fabrikam-ml-prod/subnets/snet-x")
    msg = problem(refused(hub(lambda h: h.update(frontEndSubnetId=own))),
                  f"{HUB}.frontEndSubnetId")
    assert "subnet of the workspace VNet itself" in msg and "fix: use a subnet" in msg


def test_dev_may_stay_public_without_a_hub(settings_dev: Any) -> None:
    assert settings_dev.workspace.public_network_access == "Enabled"
    assert settings_dev.network.hub is None


# --- grammar of the resource ids ------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    # a VNet id, not a subnet id
    "/subscriptions/88888888-8888-8888-8888-888888888888/resourceGroups/rg-hub/providers/"
    "Microsoft.Network/virtualNetworks/vnet-hub",
    # subscription is not a UUID
    "/subscriptions/connectivity/resourceGroups/rg-hub/providers/Microsoft.Network/"
    "virtualNetworks/vnet-hub/subnets/snet-pe",
    # wrong provider namespace
    "/subscriptions/88888888-8888-8888-8888-888888888888/resourceGroups/rg-hub/providers/"
    "Microsoft.Compute/virtualNetworks/vnet-hub/subnets/snet-pe",
    "snet-private-endpoints",
])
def test_front_end_subnet_id_must_be_a_subnet_resource_id(bad: str) -> None:
    msg = problem(refused(hub(lambda h: h.update(frontEndSubnetId=bad))),
                  f"{HUB}.frontEndSubnetId")
    assert "is not the ARM resource id of a subnet" in msg and "/subnets/<subnet>" in msg


def test_front_end_subnet_id_is_required() -> None:
    msg = problem(refused(hub(lambda h: h.pop("frontEndSubnetId"))), f"{HUB}.frontEndSubnetId")
    assert "required key is missing" in msg


def test_subnet_id_segments_are_case_insensitive() -> None:
    doc = stack_document("prod")
    h = doc["config"][f"{NS}:network"]["hub"]
    h["frontEndSubnetId"] = SUBNET.replace("resourceGroups", "resourcegroups").replace(
        "Microsoft.Network", "microsoft.network")
    parsed = parse(raw_from_stack_document(doc, "Pulumi.prod.yaml"), stack="prod")
    assert parsed.network.hub is not None
    assert parsed.network.hub.virtual_network_name == "vnet-hub"
    assert parsed.network.hub.resource_group_name == "rg-hub"


def test_private_dns_zone_id_must_be_a_zone_resource_id() -> None:
    def change(h: dict[str, Any]) -> None:
        h.pop("dnsResourceGroupName")
        h["privateDnsZoneId"] = "privatelink.azuredatabricks.net"

    msg = problem(refused(hub(change)), f"{HUB}.privateDnsZoneId")
    assert "is not the ARM resource id of a private DNS zone" in msg


def test_private_dns_zone_id_must_name_the_databricks_zone() -> None:
    def change(h: dict[str, Any]) -> None:
        h.pop("dnsResourceGroupName")
        h["privateDnsZoneId"] = ("/subscriptions/99999999-9999-9999-9999-999999999999/"
                                 "resourceGroups/rg-dns/providers/Microsoft.Network/"
                                 "privateDnsZones/privatelink.blob.core.windows.net")

    msg = problem(refused(hub(change)), f"{HUB}.privateDnsZoneId")
    assert "names the zone 'privatelink.blob.core.windows.net'" in msg


# --- the front-end zone: one source, its own resource group ----------------------------------

def test_a_zone_source_is_required() -> None:
    msg = problem(refused(hub(lambda h: h.pop("dnsResourceGroupName"))),
                  f"{HUB}.privateDnsZoneId")
    assert "none is given" in msg and "fix: set privateDnsZoneId" in msg


def test_central_zone_and_declared_zone_are_exclusive() -> None:
    zone = ("/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-dns/"
            "providers/Microsoft.Network/privateDnsZones/privatelink.azuredatabricks.net")
    msg = problem(refused(hub(lambda h: h.update(privateDnsZoneId=zone))),
                  f"{HUB}.dnsResourceGroupName")
    assert "set together with privateDnsZoneId" in msg


@pytest.mark.parametrize("name", ["rg-fabrikam-ml-prod", "RG-FABRIKAM-ML-PROD-MANAGED"])
def test_declared_zone_needs_a_resource_group_of_its_own(name: str) -> None:
    msg = problem(refused(hub(lambda h: h.update(dnsResourceGroupName=name))),
                  f"{HUB}.dnsResourceGroupName")
    assert "must be a resource group of its own" in msg


@pytest.mark.parametrize("field", ["dnsResourceGroupName", "endpointResourceGroupName"])
def test_resource_group_names_are_azure_names(field: str) -> None:
    msg = problem(refused(hub(lambda h: h.update({field: "rg with spaces"}))),
                  f"{HUB}.{field}")
    assert "is not a valid Azure resource group name" in msg and "'rg with spaces'" in msg


# --- peering and private link ------------------------------------------------------------

def test_hub_needs_private_link() -> None:
    def mutate(cfg: Config) -> None:
        cfg[f"{NS}:workspace"]["privateLink"]["enabled"] = False

    err = refused(mutate)
    assert "private link is off" in problem(err, HUB)


@pytest.mark.parametrize("flag", ["allowForwardedTraffic", "useRemoteGateways",
                                  "declareHubSide"])
def test_peering_flags_are_booleans(flag: str) -> None:
    msg = problem(refused(hub(lambda h: h["peering"].update({flag: "maybe"}))),
                  f"{HUB}.peering.{flag}")
    assert "expected true or false" in msg


def test_hub_must_be_a_mapping() -> None:
    def mutate(cfg: Config) -> None:
        cfg[f"{NS}:network"]["hub"] = "vnet-fabrikam-hub-weu"

    assert "expected a mapping" in problem(refused(mutate), HUB)


def test_unknown_hub_key_suggests_the_closest() -> None:
    msg = problem(refused(hub(lambda h: h.update(frontendSubnetId=SUBNET))),
                  f"{HUB}.frontendSubnetId")
    assert "did you mean `frontEndSubnetId`?" in msg


def test_shipped_prod_uses_the_hub() -> None:
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    assert doc["config"][f"{NS}:network"]["hub"]["frontEndSubnetId"].startswith(
        "/subscriptions/88888888-8888-8888-8888-888888888888/")
