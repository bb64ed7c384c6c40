"""How members of the mapped Entra groups reach Databricks, without one resource per person.

Two modes (``provisioning.mode``):

``automatic-identity-management``
    Databricks reads users, groups and memberships from Entra ID itself. The account setting
    that turns it on cannot be declared: pulumi-databricks 1.118 has no resource for it (the
    generic ``AccountSettingV2`` takes names from the settings-metadata API, which lists no such
    setting, and ``get_account_iam_external_group_v2`` only *resolves* a group, as a side effect
    of a read, once the feature is already on). The component declares nothing and lists the
    steps in :attr:`Provisioning.manual_steps`.

``scim``
    The Entra provisioning service pushes the mapped groups and their members to the Databricks
    SCIM API through the enterprise application created from the gallery app "Azure Databricks
    SCIM Provisioning Connector" (``provisioning.scimServicePrincipalObjectId``). The component
    declares what azuread allows: the connector's credentials (``SynchronizationSecret``, with
    the SCIM token from the secret config key ``scimToken``), the job from the connector's
    template ``dataBricks`` (``SynchronizationJob``), and one ``AppRoleAssignment`` per mapped
    group, which scopes provisioning to exactly those groups. Nothing else is assigned. A
    group's assignment sits under its ``config:Group`` entry (:mod:`components.entries`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Optional

import pulumi
import pulumi_azuread as azuread
import pulumi_databricks as databricks

from components._base import child, type_token
from components.entries import entry_child
from components.providers import ACCOUNTS_HOST
from settings import Settings

# The synchronization template of the "Azure Databricks SCIM Provisioning Connector" gallery app.
DATABRICKS_SCIM_TEMPLATE = "dataBricks"
# Microsoft Graph: the app role id that means "assigned, no specific role", for applications
# that declare no app roles.
DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"
# A legacy role some gallery applications declare next to "User"; never the one to assign.
LEGACY_ROLE = "msiam_access"

AIM_STEPS = (
    "Automatic identity management: as a Databricks account admin, open the account console, "
    "Security > User provisioning, and turn on automatic identity management (the Databricks "
    "provider has no resource for this account setting).",
    "Automatic identity management works only for identity-federated workspaces: check that "
    "the workspace shows the 'Identity federation' badge in the account console.",
    "Do not also run an account-level SCIM connector for the same groups; pick one mode.",
)
SCIM_STEPS = (
    "SCIM: create the enterprise application from the Entra gallery app 'Azure Databricks SCIM "
    "Provisioning Connector' and put its object id in provisioning.scimServicePrincipalObjectId.",
    "SCIM: generate the SCIM token (account console > Security > User provisioning for account "
    "identity mode; a workspace admin's token for workspace identity mode) and store it with "
    "`pulumi config set --secret databricks-ml-entra:scimToken <token>`.",
    "SCIM: keep the connector's 'Scope' on 'Sync only assigned users and groups' (the gallery "
    "default), so that only the groups this stack assigns are provisioned.",
)


@dataclass(frozen=True)
class ProvisioningArgs:
    """Everything the provisioning mode needs; built from settings by :meth:`from_settings`."""

    mode: Literal["automatic-identity-management", "scim"]
    identity_mode: Literal["account", "workspace"]
    account_id: str
    tenant_id: str
    # Object ids of the mapped groups only: they are the only ones provisioning may reach.
    group_object_ids: dict[str, pulumi.Input[str]]
    scim_service_principal_object_id: Optional[str]
    scim_token: Optional[pulumi.Output[str]]
    workspace_provider: databricks.Provider
    entra_provider: Optional[azuread.Provider] = None
    # The config:Group entry each group's SCIM assignment goes under (components.entries).
    entries: Mapping[str, pulumi.Resource] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, s: Settings, *, group_object_ids: Mapping[str, pulumi.Input[str]],
                      scim_token: Optional[pulumi.Output[str]],
                      workspace_provider: databricks.Provider,
                      entra_provider: Optional[azuread.Provider] = None,
                      entries: Optional[Mapping[str, pulumi.Resource]] = None
                      ) -> ProvisioningArgs:
        unmapped = sorted(set(group_object_ids) - set(s.mapped_groups))
        if unmapped:
            raise ValueError(f"provisioning may only reach mapped groups; got {unmapped}")
        return cls(mode=s.provisioning.mode, identity_mode=s.databricks.identity_mode,
                   account_id=s.databricks.account_id, tenant_id=s.tenant_id,
                   group_object_ids=dict(group_object_ids),
                   scim_service_principal_object_id=s.provisioning.scim_service_principal_object_id,
                   scim_token=scim_token, workspace_provider=workspace_provider,
                   entra_provider=entra_provider, entries=dict(entries or {}))


class Provisioning(pulumi.ComponentResource):
    """Declares the provisioning mode's resources, or lists the manual steps it needs."""

    manual_steps: list[str]
    group_assignments: dict[str, azuread.AppRoleAssignment]

    def __init__(self, name: str, args: ProvisioningArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("access", "Provisioning"), name, None, opts)
        self.group_assignments = {}
        if args.mode == "scim":
            self.manual_steps = list(SCIM_STEPS)
            self._scim(name, args)
        else:
            self.manual_steps = list(AIM_STEPS)
        self.register_outputs({"mode": args.mode, "manualSteps": self.manual_steps})

    def _scim(self, name: str, args: ProvisioningArgs) -> None:
        object_id = args.scim_service_principal_object_id
        if object_id is None or args.scim_token is None:
            raise ValueError("provisioning mode 'scim' needs scimServicePrincipalObjectId and the "
                             "secret config key scimToken (settings should have refused this)")
        entra = args.entra_provider or azuread.Provider(
            f"{name}-entra", tenant_id=args.tenant_id, opts=pulumi.ResourceOptions(parent=self))
        sp_id = f"/servicePrincipals/{object_id}"
        token: pulumi.Output[str] = pulumi.Output.secret(args.scim_token)
        secret = azuread.SynchronizationSecret(
            f"{name}-scim-secret", service_principal_id=sp_id,
            credentials=[
                azuread.SynchronizationSecretCredentialArgs(
                    key="BaseAddress", value=self._scim_endpoint(name, args)),
                azuread.SynchronizationSecretCredentialArgs(
                    key="SecretToken", value=token),
            ],
            opts=child(self, provider=entra))
        azuread.SynchronizationJob(
            f"{name}-scim-job", service_principal_id=sp_id,
            template_id=DATABRICKS_SCIM_TEMPLATE, enabled=True,
            opts=child(self, provider=entra, depends_on=[secret]))
        role_id = azuread.get_service_principal_output(
            object_id=object_id,
            opts=pulumi.InvokeOutputOptions(provider=entra, parent=self),
        ).app_roles.apply(assignable_role_id)
        for key, group_object_id in sorted(args.group_object_ids.items()):
            self.group_assignments[key] = azuread.AppRoleAssignment(
                f"{name}-scim-{key}", app_role_id=role_id, principal_object_id=group_object_id,
                resource_object_id=object_id,
                opts=entry_child(self, args.entries.get(key), provider=entra))

    def _scim_endpoint(self, name: str, args: ProvisioningArgs) -> pulumi.Output[str]:
        """The SCIM base address: the account's for account identity mode, else the workspace's."""
        if args.identity_mode == "account":
            return pulumi.Output.from_input(
                f"{ACCOUNTS_HOST}/api/2.0/accounts/{args.account_id}/scim/v2")
        # The workspace host is what the workspace provider is configured with. The read waits
        # for that provider, so it is simply unknown in the preview of a first deployment.
        config = databricks.get_current_config_output(opts=pulumi.InvokeOutputOptions(
            provider=args.workspace_provider, parent=self, depends_on=[args.workspace_provider]))
        return config.host.apply(workspace_scim_endpoint)


def workspace_scim_endpoint(host: str) -> str:
    """``adb-1.2.azuredatabricks.net`` -> ``https://adb-1.2.azuredatabricks.net/api/2.0/preview/scim``."""
    base = host if host.startswith("https://") else f"https://{host}"
    return base.rstrip("/") + "/api/2.0/preview/scim"


def assignable_role_id(roles: list[azuread.outputs.GetServicePrincipalAppRoleResult]) -> str:
    """The app role to assign groups to the SCIM connector with.

    Graph accepts the default role id only for applications that declare no app roles; the
    gallery connector may declare a "User" role (and the legacy ``msiam_access``).
    """
    usable = [r for r in roles if r.enabled and "User" in r.allowed_member_types
              and LEGACY_ROLE not in (r.value, r.display_name)]
    if not usable:
        return DEFAULT_ACCESS_ROLE_ID
    if len(usable) == 1:
        return usable[0].id
    named_user = [r for r in usable if r.display_name == "User"]
    if len(named_user) == 1:
        return named_user[0].id
    names = ", ".join(sorted(r.display_name for r in usable))
    raise ValueError(f"the SCIM connector declares several assignable app roles ({names}); "
                     "cannot tell which one grants provisioning")
