"""The Azure Databricks workspace resource itself: SKU, VNet injection, public IPs and
public network access; helpers the other workspace families share.
"""

from __future__ import annotations

from typing import Any, Optional

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from ._common import UNKNOWN, Report, depends_on, is_set, lower, peek, read
from ._policy import (
    AP_NO_PUBLIC_IP,
    AP_PREMIUM_SKU,
    AP_PUBLIC_NETWORK_ACCESS,
    AP_VNET,
    Controls,
    Family,
)
from ._types import WORKSPACE

policy = Family("workspace")


NO_AZURE_DATABRICKS_RULES = "NoAzureDatabricksRules"


def workspace_param(props: Any, name: str) -> Any:
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


def refers(
    source: PolicyResource, prop: str, value: Any, target: PolicyResource
) -> Optional[bool]:
    """True via a property dependency or a matching id; None when undecidable in preview."""
    if depends_on(source, prop, target):
        return True
    return _workspace_ref(value, target)


@policy.resource(
    name="databricks-workspace-premium-sku",
    types=[WORKSPACE],
    severity=Severity.HIGH,
    controls=Controls(
        soc2=("CC6.1",), iso27001=("A.8.3", "A.8.24"), cis=("v5.0.0-2.1",),
        azure_policy=(AP_PREMIUM_SKU,),
    ),
    remediation="Set sku={'name': 'premium'} on the azure-native databricks Workspace.",
)
def check_premium_sku(args: ResourceValidationArgs, report: Report) -> None:
    """Azure Databricks workspaces use the Premium SKU."""
    sku = read(args.props, "sku", "name")
    if sku is None:
        report("sku.name is not set; set sku={'name': 'premium'}.")
    elif lower(sku) != "premium":
        report(
            f"sku.name is '{sku}'; set sku.name to 'premium' (required for private link, "
            "customer-managed keys and object access control lists)."
        )


@policy.resource(
    name="databricks-workspace-vnet-injection",
    types=[WORKSPACE],
    severity=Severity.HIGH,
    controls=Controls(
        soc2=("CC6.6",), iso27001=("A.8.20", "A.8.22"), cis=("v4.0.0-3.1.1",),
        azure_policy=(AP_VNET,),
    ),
    remediation=(
        "Set parameters.customVirtualNetworkId, customPublicSubnetName and "
        "customPrivateSubnetName ({'value': ...}) to your VNet and its two delegated subnets."
    ),
)
def check_vnet_injection(args: ResourceValidationArgs, report: Report) -> None:
    """Azure Databricks workspaces are deployed into a customer-managed VNet."""
    required = ("customVirtualNetworkId", "customPublicSubnetName", "customPrivateSubnetName")
    missing = [name for name in required if not is_set(workspace_param(args.props, name))]
    if missing:
        fields = ", ".join(f"parameters.{name}.value" for name in missing)
        report(
            f"{fields} not set; deploy the workspace into your own virtual network "
            "(VNet injection) by setting the VNet id and both delegated subnet names."
        )


@policy.resource(
    name="databricks-workspace-no-public-ip",
    types=[WORKSPACE],
    severity=Severity.HIGH,
    controls=Controls(
        soc2=("CC6.6",), iso27001=("A.8.20",), cis=("v5.0.0-2.1",),
        azure_policy=(AP_NO_PUBLIC_IP,),
    ),
    remediation="Set parameters.enableNoPublicIp={'value': True} (secure cluster connectivity).",
)
def check_no_public_ip(args: ResourceValidationArgs, report: Report) -> None:
    """Azure Databricks cluster nodes have no public IP addresses."""
    value = read(args.props, "parameters", "enableNoPublicIp", "value")
    if value is not True:
        shown = "not set" if value is None else repr(value)
        report(
            f"parameters.enableNoPublicIp.value is {shown}; set it to True (secure cluster "
            "connectivity) so cluster nodes get no public IP addresses."
        )


@policy.resource(
    name="databricks-workspace-public-network-access-disabled",
    types=[WORKSPACE],
    severity=Severity.HIGH,
    controls=Controls(
        soc2=("CC6.6",), iso27001=("A.8.20", "A.8.21"), cis=("v5.0.0-2.1",),
        azure_policy=(AP_PUBLIC_NETWORK_ACCESS,),
    ),
    remediation=(
        "Set publicNetworkAccess='Disabled' and requiredNsgRules='NoAzureDatabricksRules', "
        "and add a databricks_ui_api private endpoint."
    ),
)
def check_public_network_access(args: ResourceValidationArgs, report: Report) -> None:
    """Azure Databricks workspaces disable public network access (production).

    With public network access disabled, ``requiredNsgRules`` must be
    ``NoAzureDatabricksRules`` (back-end Private Link).
    """
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
