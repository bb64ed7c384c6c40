"""The workspace's two subnets: delegated to Databricks, each with a network security group."""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from ._common import (
    UNKNOWN,
    Report,
    depends_on,
    elements,
    is_set,
    label,
    lower,
    of_type,
    peek,
    read,
)
from ._policy import Controls, Family
from ._types import SUBNET, WORKSPACE
from .workspace import workspace_param

policy = Family("workspace")


DATABRICKS_DELEGATION = "Microsoft.Databricks/workspaces"


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
    vnet_id = workspace_param(workspace.props, "customVirtualNetworkId")
    by_dependency = [s for s in subnets if depends_on(workspace, "parameters", s)]
    found: dict[str, PolicyResource] = {s.urn: s for s in by_dependency}
    not_found: list[str] = []
    for key in ("customPublicSubnetName", "customPrivateSubnetName"):
        name = workspace_param(workspace.props, key)
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


@policy.stack(
    name="databricks-subnets-delegated-with-nsg",
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC6.6",), iso27001=("A.8.20", "A.8.22"), cis=("v5.0.0-2.1.2",)),
    remediation=(
        "Declare both subnets as azure-native network Subnet resources with delegations to "
        "'Microsoft.Databricks/workspaces' and networkSecurityGroup={'id': nsg.id}."
    ),
)
def check_subnets(args: StackValidationArgs, report: Report) -> None:
    """Databricks workspace subnets are delegated to Databricks and have an NSG."""
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
