"""Explicit providers, one per API. Default providers are disabled in Pulumi.yaml.

Provider inputs are stored in the stack state and diffed like any resource, so they hold only
facts of the stack (tenant, subscription, account, workspace), never anything taken from the
deployer's environment: no ``auth_type``, no credentials. The Databricks SDK picks the
authentication at run time from ``DATABRICKS_AUTH_TYPE`` and ``ARM_*`` (``azure-cli`` for a
person, ``github-oidc-azure`` in CI); :mod:`settings.environment` refuses personal access
tokens before any resource is registered.
"""

from __future__ import annotations

from typing import Optional
from uuid import UUID

import pulumi
import pulumi_azure_native as azure_native
import pulumi_azuread as azuread
import pulumi_databricks as databricks

from settings import Settings
from settings.environment import AZURE_AUTH_TYPES  # noqa: F401 (re-exported)

ACCOUNTS_HOST = "https://accounts.azuredatabricks.net"


def azure(settings: Settings) -> azure_native.Provider:
    """azure-native, pinned to the stack's tenant, subscription and location."""
    return azure_native.Provider(
        "azure-native",
        subscription_id=settings.subscription_id,
        tenant_id=settings.tenant_id,
        location=settings.location,
    )


def azure_hub(settings: Settings) -> Optional[azure_native.Provider]:
    """azure-native for the hub's subscription, when ``network.hub`` lives in another one.

    A private endpoint must be in the subscription of its subnet, so the front-end endpoints
    (and a declared hub side of the peering) are created through this provider. None when the
    hub shares the stack's subscription: the stack provider serves it.
    """
    hub = settings.network.hub
    if hub is None or UUID(hub.subscription_id) == UUID(settings.subscription_id):
        return None
    return azure_native.Provider(
        "azure-native-hub",
        subscription_id=hub.subscription_id,
        tenant_id=settings.tenant_id,
        location=settings.location,
    )


def entra(settings: Settings) -> azuread.Provider:
    """azuread, pinned to the stack's tenant (credentials come from the Azure CLI or OIDC)."""
    return azuread.Provider("azuread", tenant_id=settings.tenant_id)


def databricks_account(settings: Settings) -> databricks.Provider:
    """Account-level identity (groups, service principals, workspace assignments)."""
    return databricks.Provider(
        "databricks-account",
        host=ACCOUNTS_HOST,
        account_id=settings.databricks.account_id,
        azure_tenant_id=settings.tenant_id,
    )


def databricks_workspace(settings: Settings, workspace_url: pulumi.Input[str],
                         workspace_resource_id: pulumi.Input[str]) -> databricks.Provider:
    """Workspace-level objects; host and resource id come from the workspace's outputs."""
    return databricks.Provider(
        "databricks-workspace",
        host=pulumi.Output.from_input(workspace_url).apply(
            lambda u: u if u.startswith("https://") else f"https://{u}"),
        azure_workspace_resource_id=workspace_resource_id,
        azure_tenant_id=settings.tenant_id,
    )
