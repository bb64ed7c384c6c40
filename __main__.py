"""databricks-ml-entra: load the stack settings, build the components, export the outputs."""

import pulumi

from components import bootstrap, providers
from components.azure_databricks_app import AzureDatabricksAppArgs, AzureDatabricksEnterpriseApp
from components.client_app import ClientAppArgs, ClientApplication
from components.conditional_access import ConditionalAccessArgs, ConditionalAccessPolicies
from components.entra_identity import EntraIdentity, EntraIdentityArgs
from components.entries import ConfigEntries
from components.governance import Governance, GovernanceArgs
from components.groups import EntraGroups, GroupsArgs
from components.key_vault import SecretVaults, SecretVaultsArgs
from components.managed_identities import ManagedIdentities, ManagedIdentitiesArgs
from components.model_access import ModelAccess, ModelAccessArgs
from components.preview_access import PreviewAccess, PreviewAccessArgs
from components.unity_catalog import MetastoreAttachment, MetastoreAttachmentArgs
from components.workspace import DatabricksWorkspace, WorkspaceArgs
from components.workspace_access import WorkspaceAccess, WorkspaceAccessArgs
from settings import load_from_pulumi

settings = load_from_pulumi()
azure = providers.azure(settings)
entra = providers.entra(settings)
# One component per groups/servicePrincipals/models entry: what is declared for it goes under it.
entries = ConfigEntries.from_settings(
    settings, opts=pulumi.ResourceOptions(providers=[azure, entra]))

workspace = DatabricksWorkspace(
    "workspace", WorkspaceArgs.from_settings(settings, hub_provider=providers.azure_hub(settings)),
    opts=pulumi.ResourceOptions(providers=[azure]))
groups = EntraGroups(
    "groups", GroupsArgs.from_settings(settings, entries=entries.groups),
    opts=pulumi.ResourceOptions(providers=[entra]))
vaults = SecretVaults(
    "secret-vaults",
    SecretVaultsArgs.from_settings(
        settings, workspace_resource_group_name=workspace.resource_group_name),
    opts=pulumi.ResourceOptions(providers=[azure]))
identity = EntraIdentity(
    "identity", EntraIdentityArgs.from_settings(settings, vault_targets=vaults.targets,
                                                entries=entries.service_principals),
    opts=pulumi.ResourceOptions(providers=[entra, azure]))
managed = ManagedIdentities(
    "managed-identities",
    ManagedIdentitiesArgs.from_settings(
        settings, resource_group_name=workspace.resource_group_name,
        entries=entries.service_principals),
    opts=pulumi.ResourceOptions(providers=[azure]))
azure_databricks_app = AzureDatabricksEnterpriseApp(
    "azure-databricks-app",
    AzureDatabricksAppArgs.from_settings(settings, principal_object_ids={
        **groups.object_ids, **identity.object_ids, **managed.principal_ids}),
    opts=pulumi.ResourceOptions(providers=[entra]))
client_app_args = ClientAppArgs.from_settings(settings, group_object_ids=groups.object_ids)
client_app = (ClientApplication("client-app", client_app_args,
                                opts=pulumi.ResourceOptions(providers=[entra]))
              if client_app_args is not None else None)
conditional_access = ConditionalAccessPolicies(
    "conditional-access",
    ConditionalAccessArgs.from_settings(
        settings, group_object_ids=groups.object_ids,
        client_app_client_id=client_app.client_id if client_app is not None else None),
    opts=pulumi.ResourceOptions(providers=[entra]))
governance = Governance(
    "governance", GovernanceArgs.from_settings(settings, group_object_ids=groups.object_ids),
    opts=pulumi.ResourceOptions(providers=[entra]))
preview_args = PreviewAccessArgs.from_settings(
    settings, resource_group_name=workspace.resource_group_name, object_ids=identity.object_ids)
if preview_args is not None:
    PreviewAccess("preview-access", preview_args, opts=pulumi.ResourceOptions(providers=[azure]))

account_provider = providers.databricks_account(settings)
workspace_provider = providers.databricks_workspace(
    settings, workspace.workspace_url, workspace.workspace_resource_id)
access = WorkspaceAccess(
    "workspace-access",
    WorkspaceAccessArgs.from_settings(
        settings, workspace_id=workspace.workspace_id, group_object_ids=groups.object_ids,
        client_ids={**identity.client_ids, **managed.client_ids},
        account_provider=account_provider, workspace_provider=workspace_provider,
        entra_provider=entra, sp_object_ids={**identity.object_ids, **managed.principal_ids},
        entries=entries),
    opts=pulumi.ResourceOptions(depends_on=[workspace]))
metastore = (MetastoreAttachment(
    "unity-catalog",
    MetastoreAttachmentArgs.from_settings(
        settings, workspace_id=workspace.workspace_id, account_provider=account_provider,
        workspace_provider=workspace_provider),
    opts=pulumi.ResourceOptions(depends_on=[workspace]))
    if settings.databricks.metastore_id else None)
models = ModelAccess(
    "model-access",
    ModelAccessArgs.from_settings(settings, principals=access.principals,
                                  workspace_provider=workspace_provider,
                                  unity_catalog_ready=tuple(metastore.ready) if metastore else (),
                                  entries=entries),
    opts=pulumi.ResourceOptions(depends_on=[access]))

pulumi.export("tenantId", settings.tenant_id)
pulumi.export("azureDatabricksAssignmentRequired", settings.azure_databricks_app.require_assignment)
if client_app is not None:
    pulumi.export("clientAppClientId", client_app.client_id)
pulumi.export("groupObjectIds", groups.object_ids)
pulumi.export("servicePrincipalApplicationIds", {**identity.client_ids, **managed.client_ids})
pulumi.export("workspaceUrl", workspace.workspace_url)
pulumi.export("workspaceResourceId", workspace.workspace_resource_id)
pulumi.export("workspaceId", workspace.workspace_id)
pulumi.export("managedResourceGroupId", workspace.managed_resource_group_id)
pulumi.export("models", models.model_ids)
pulumi.export("accessPackageIds", governance.access_package_ids)
pulumi.export("adminEligibilityIds", governance.eligibility_ids)
pulumi.export("identityPaths", access.identity_paths)
pulumi.export("keyVaultIds", vaults.vault_ids)
pulumi.export("manualSteps", bootstrap.ordered(
    settings, network=workspace.manual_steps, provisioning=access.manual_steps,
    unity_catalog=models.manual_steps, others=vaults.manual_steps))
