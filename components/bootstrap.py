"""What the first human deployer needs, in the order the first ``pulumi up`` needs it.

The first deploy is run by a person: the deployer's own service principal (``deployer``) is
created by that very deploy, and only after it exists can it be made a Databricks account admin
and be given Unity Catalog rights. The list is exported, numbered, as the first entries of the
stack output ``manualSteps`` (the component-specific steps follow, each placed after the rights
it needs), and README.md "Bootstrap" repeats it.
"""

from __future__ import annotations

from settings import Settings
from settings.wellknown import AZURE_DATABRICKS_APP_ID


def before_first_deploy(s: Settings) -> list[str]:
    """Rights the human needs before ``pulumi up``, in the order the deploy uses them."""
    steps = [
        f"Azure: Contributor on subscription {s.subscription_id} (resource groups, workspace, "
        "network, Log Analytics, managed identities, Key Vault and its secrets through ARM). "
        "On a tenant where Azure Databricks was never used, create its service principal once: "
        f"`az ad sp create --id {AZURE_DATABRICKS_APP_ID}`.",
        "Entra ID: the directory roles Groups Administrator (security groups) and Application "
        "Administrator (app registrations, service principals, federated credentials, "
        "passwords, app role assignments, adopting the Azure Databricks enterprise app); the "
        "tenant-wide admin consent of the client app (ServicePrincipalDelegatedPermissionGrant) "
        "needs Global Administrator when a person runs it (azuread provider docs), so the first "
        "deploy is run by a Global Administrator or the consent is granted by one beforehand.",
        "Entra ID: Conditional Access Administrator (conditional access policies and named "
        "locations).",
    ]
    if s.governance is not None:
        steps.append(
            "Entra ID: Identity Governance Administrator (access packages, their policies and "
            "reviews) and Privileged Role Administrator (PIM for groups), with Entra ID "
            "Governance or P2 licences for the people in scope (governance section).")
    if s.audit.entra_logs:
        steps.append(
            "Entra ID: Security Administrator (or Global Administrator), for the tenant-level "
            "Entra diagnostic setting (audit.entraLogs: microsoft.aadiam/diagnosticSettings) "
            "that sends sign-in and audit logs to Log Analytics; sign-in logs need an Entra ID "
            "P1/P2 licence.")
    steps.append(
        f"Databricks: account admin of account {s.databricks.account_id} (account console "
        "https://accounts.azuredatabricks.net > User management > Roles; the first account "
        "admin of a new account is a Global Administrator who signs in once). Needed for the "
        "external-principal lookups, the workspace assignments and the metastore assignment.")
    if s.databricks.metastore_id:
        steps.append(
            f"Unity Catalog: metastore admin of metastore {s.databricks.metastore_id} (or have "
            "its admin grant you the catalog and schema rights of the Unity Catalog step below); "
            "the metastore assignment itself needs only the account admin role.")
    return steps


def after_first_deploy(s: Settings) -> list[str]:
    """Hand the stack over to the deployer service principal (CI) once it exists."""
    return [
        f"Hand-over to the deployer ({s.deployer}), after the first deploy created it: give its "
        "service principal Contributor on the subscription and the Microsoft Graph application "
        "roles Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All, Group.Create, "
        "Directory.ReadWrite.All (delegated permission grants), Policy.ReadWrite.ConditionalAccess "
        "and Policy.Read.All (plus Security Administrator if audit.entraLogs; with governance: "
        "EntitlementManagement.ReadWrite.All, RoleManagementPolicy.ReadWrite.AzureADGroup, "
        "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup, Group.ReadWrite.All), make it a "
        "Databricks account admin, and grant it the Unity Catalog rights above; from then on CI "
        "deploys "
        "(DATABRICKS_AUTH_TYPE=github-oidc-azure) and people only preview.",
    ]


def ordered(s: Settings, *, provisioning: list[str], unity_catalog: list[str],
            others: list[str], network: list[str] | None = None) -> list[str]:
    """The whole ``manualSteps`` list, numbered in the order the deploy needs each step.

    Network steps (the hub side of the private route) come before everything that calls the
    workspace; provisioning before the lookups and assignments; Unity Catalog rights before
    the models.
    """
    steps = [*before_first_deploy(s), *(network or []), *provisioning, *unity_catalog,
             *others, *after_first_deploy(s)]
    return [f"{i}. {text}" for i, text in enumerate(steps, start=1)]
