"""Workspace encryption with customer-managed keys."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from ._common import Report, lower, read
from ._policy import Controls, Family
from ._types import WORKSPACE

policy = Family("workspace")


KEY_VAULT_KEY_SOURCE = "microsoft.keyvault"


@policy.resource(
    name="databricks-workspace-customer-managed-keys",
    types=[WORKSPACE],
    severity=Severity.MEDIUM,
    enforcement=EnforcementLevel.ADVISORY,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.8.24",), cis=("v5.0.0-2.1",)),
    remediation=(
        "Set encryption.entities.managedServices and managedDisk to keySource "
        "'Microsoft.Keyvault' with keyVaultProperties, and parameters.encryption.value "
        "keySource 'Microsoft.Keyvault' for the DBFS root."
    ),
)
def check_customer_managed_keys(args: ResourceValidationArgs, report: Report) -> None:
    """Azure Databricks workspaces encrypt data with customer-managed keys."""
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
