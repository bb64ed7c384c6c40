"""Entra groups and service principals mapped into Databricks.

How each principal becomes a Databricks principal depends on the provisioning mode
(:attr:`Principal.path`, exported as the stack output ``identityPaths``):

Automatic identity management (``provisioning.mode``, the default; identity mode ``account``)
    Databricks resolves Entra identities itself, and an account group can *not* be created with
    ``external_id`` in this mode. Each mapped Entra group is resolved with the account-level
    lookup ``get_account_iam_external_group_v2`` (``accounts/<account>/external-groups/<Entra
    object id>``), each automation identity with ``get_account_iam_external_service_principal_v2``
    (``.../external-service-principals/<Entra service principal object id>``), both through the
    account provider. They are reads (invokes), not resources: their ``internal_id`` feeds the
    workspace assignment and the entitlements, and nothing is created inside ``apply``. The read
    has one side effect, documented by the provider: it provisions the principal in the account
    if it is not there yet, which is exactly what automatic identity management would do on
    first use. ``destroy`` therefore leaves the account principals in place and only removes
    the workspace assignments and entitlements.

Identity mode ``account`` with SCIM provisioning
    The SCIM connector creates the account groups (``external_id`` = Entra object id); the
    stack declares the same account-level ``Group`` with ``force=True`` so it adopts the group
    whichever comes first. The connector does not provision service principals: each
    automation identity is an account-level ``ServicePrincipal`` (``application_id`` = its
    client id) created by this stack.

In account identity mode every principal is assigned to the workspace with ``USER`` or
``ADMIN`` from the role preset (``MwsPermissionAssignment``, account provider) and given its
entitlements inside the workspace (``Entitlements``, workspace provider: the account API has
no entitlements, the group and service principal ids are the same in the workspace).

Identity mode ``workspace`` (legacy, workspaces without identity federation)
    Workspace-local ``Group`` and ``ServicePrincipal`` resources with their entitlements as
    arguments. Admin-role service principals join the workspace ``admins`` group (one
    ``GroupMember`` each). Admin-role *groups* cannot: Databricks does not accept a group as a
    member of ``admins`` (only an account admin can make a group a workspace admin, through a
    workspace assignment, which needs identity federation). They keep ``CAN_MANAGE`` on every
    model through the model ACLs, and :attr:`WorkspaceAccess.manual_steps` says so.

In both modes:

* ``force=True`` adopts a group or service principal that already exists under the same name
  or application id (created by SCIM or the deployer's own bootstrap) instead of failing.
* The built-in ``users`` group loses its default entitlements (workspace access and Databricks
  SQL access are granted to it on every new workspace, and every workspace user and service
  principal is a member): entitlements come only from the role presets. Every preset carries
  at least one access entitlement (an agent: workspace access only, to call the APIs of the
  models it may execute), so no mapped principal is left unable to use what it is granted.
  The baseline is applied after every mapped principal has its own entitlements.
* The deployer's own service principal and its admin assignment (or ``admins`` membership)
  are ``retain_on_delete``: ``pulumi destroy`` must not disable the identity that runs it.
* Membership of people flows from Entra (see :mod:`components.provisioning`): the number of
  resources grows with groups and service principals, never with users.
* A principal's Databricks group or service principal, assignment, entitlements and ``admins``
  membership sit under its config entry (:mod:`components.entries`); the ``users`` baseline
  and provisioning belong to no entry and stay here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional, TypedDict

import pulumi
import pulumi_azuread as azuread
import pulumi_databricks as databricks

from components._base import child, type_token
from components.entries import ConfigEntries, entry_child
from components.provisioning import Provisioning, ProvisioningArgs
from settings import PROJECT, ROLE_PRESETS, Role, Settings, effective_entitlements
from settings.model import Group, ServicePrincipal

ADMINS_GROUP = "admins"
USERS_GROUP = "users"

# How a principal reached Databricks (Principal.path; the plan's identityPaths output).
PATH_AIM = "resolved via automatic identity management (account external-principal lookup)"
PATH_SCIM_GROUP = "created by the SCIM connector (account group, adopted by this stack)"
PATH_ACCOUNT_SP = "created by this stack (account service principal)"
PATH_WORKSPACE_LOCAL = "workspace-local (legacy workspace identity mode)"


class Flags(TypedDict):
    """Entitlements by their argument names on Group, ServicePrincipal and Entitlements."""

    workspace_access: bool
    databricks_sql_access: bool
    allow_cluster_create: bool
    allow_instance_pool_create: bool


NO_ENTITLEMENTS = Flags(workspace_access=False, databricks_sql_access=False,
                        allow_cluster_create=False, allow_instance_pool_create=False)
ADMIN_GROUPS_STEP = (
    "Workspace identity mode: Databricks does not accept a group as a member of the workspace "
    "'admins' group. Admin-role groups ({groups}) keep CAN_MANAGE on every model, but workspace "
    "administration needs either identity federation (identityMode: account) or admins added "
    "one by one in the workspace admin settings.")


@dataclass(frozen=True)
class Principal:
    """A Databricks principal as the model ACLs name it."""

    key: str
    kind: Literal["group", "service-principal"]
    acl_name: pulumi.Output[str]  # group display name, or service principal application id
    is_operator: bool  # in Settings.operators (admin group or deployer): keeps CAN_MANAGE
    role: Optional[Role] = None
    # Account groups and every service principal can hold Unity Catalog privileges;
    # workspace-local groups (identity mode "workspace") cannot.
    unity_catalog: bool = True
    # The Databricks group or service principal, then its workspace assignment and
    # entitlements: what an ACL naming this principal must wait for.
    depends_on: tuple[pulumi.Resource, ...] = field(default_factory=tuple)
    # How it reached Databricks: one of the PATH_* texts.
    path: str = ""


@dataclass(frozen=True)
class WorkspaceAccessArgs:
    settings: Settings
    workspace_id: pulumi.Input[str]
    group_object_ids: dict[str, pulumi.Output[str]]
    client_ids: dict[str, pulumi.Output[str]]
    account_provider: databricks.Provider
    workspace_provider: databricks.Provider
    # Read from the secret config key scimToken, only in provisioning mode "scim".
    scim_token: Optional[pulumi.Output[str]] = None
    # The program's azuread provider; without it, provisioning pins its own to the tenant.
    entra_provider: Optional[azuread.Provider] = None
    # Entra object ids of the automation identities' service principals (azuread
    # ServicePrincipal.object_id; a managed identity's principal_id): automatic identity
    # management resolves service principals by them.
    sp_object_ids: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    # The config entries each principal's resources go under (components.entries).
    entries: ConfigEntries = field(default_factory=ConfigEntries)

    @classmethod
    def from_settings(cls, s: Settings, *, workspace_id: pulumi.Input[str],
                      group_object_ids: dict[str, pulumi.Output[str]],
                      client_ids: dict[str, pulumi.Output[str]],
                      account_provider: databricks.Provider,
                      workspace_provider: databricks.Provider,
                      entra_provider: Optional[azuread.Provider] = None,
                      sp_object_ids: Optional[dict[str, pulumi.Output[str]]] = None,
                      entries: Optional[ConfigEntries] = None) -> WorkspaceAccessArgs:
        scim_token = (pulumi.Config(PROJECT).require_secret("scimToken")
                      if s.provisioning.mode == "scim" else None)
        return cls(settings=s, workspace_id=workspace_id, group_object_ids=group_object_ids,
                   client_ids=client_ids, account_provider=account_provider,
                   workspace_provider=workspace_provider, scim_token=scim_token,
                   entra_provider=entra_provider, sp_object_ids=dict(sp_object_ids or {}),
                   entries=entries or ConfigEntries())


class WorkspaceAccess(pulumi.ComponentResource):
    """Maps every role-bearing Entra group and every automation identity into Databricks."""

    principals: dict[str, Principal]
    provisioning: Provisioning
    manual_steps: list[str]
    identity_paths: dict[str, str]

    def __init__(self, name: str, args: WorkspaceAccessArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("access", "WorkspaceAccess"), name, None, opts)
        s = args.settings
        self._prefix = name
        self._args = args
        self._critical = s.protect_critical
        self._account_mode = s.databricks.identity_mode == "account"
        self._aim = self._account_mode and s.provisioning.mode == "automatic-identity-management"
        self._workspace_id = numeric_workspace_id(args.workspace_id)
        self._system_groups: dict[str, pulumi.Output[str]] = {}

        self.principals = {}
        for key, group in sorted(s.mapped_groups.items()):
            self.principals[key] = self._group(key, group)
        for key, sp in sorted(s.service_principals.items()):
            self.principals[key] = self._service_principal(key, sp)
        self._users_baseline()

        mapped_object_ids = {k: _lookup(args.group_object_ids, k, "Entra object id", "group")
                             for k in s.mapped_groups}
        self.provisioning = Provisioning(
            f"{name}-provisioning",
            ProvisioningArgs.from_settings(
                s, group_object_ids=mapped_object_ids, scim_token=args.scim_token,
                workspace_provider=args.workspace_provider, entra_provider=args.entra_provider,
                entries=args.entries.groups),
            opts=pulumi.ResourceOptions(parent=self))
        self.manual_steps = self.provisioning.manual_steps + self._mode_steps()
        self.identity_paths = {k: p.path for k, p in sorted(self.principals.items())}
        self.register_outputs({
            "identityMode": s.databricks.identity_mode,
            "principalNames": {k: p.acl_name for k, p in self.principals.items()},
            "identityPaths": self.identity_paths,
            "manualSteps": self.manual_steps,
        })

    def _child(self, key: str, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a resource of principal ``key``: under its config entry, when given."""
        return entry_child(self, self._args.entries.principal(key), **kwargs)

    # --- groups ------------------------------------------------------------------------

    def _group(self, key: str, group: Group) -> Principal:
        args = self._args
        if group.role is None:  # not group.is_mapped, written so the type narrows
            raise ValueError(f"group '{key}' has no role, so it is not mapped into Databricks")
        object_id = _lookup(args.group_object_ids, key, "Entra object id", "group")
        entitlements = flags(effective_entitlements(group.role, group.entitlements))
        is_operator = key in args.settings.operators
        if self._aim:
            found = databricks.get_account_iam_external_group_v2_output(
                name=pulumi.Output.concat("accounts/", args.settings.databricks.account_id,
                                          "/external-groups/", object_id),
                opts=pulumi.InvokeOutputOptions(provider=args.account_provider, parent=self))
            ready = self._assign(key, group.role, found.internal_id, group_id=found.internal_id,
                                 entitlements=entitlements)
            return Principal(key=key, kind="group", acl_name=found.display_name,
                             is_operator=is_operator, role=group.role, unity_catalog=True,
                             depends_on=ready, path=PATH_AIM)
        if self._account_mode:
            resource = databricks.Group(
                f"{self._prefix}-group-{key}", display_name=group.display_name,
                external_id=object_id, force=True,
                opts=self._child(key, protect=self._critical, provider=args.account_provider))
            ready = self._assign(key, group.role, resource.id, group_id=resource.id,
                                 entitlements=entitlements)
        else:
            resource = databricks.Group(
                f"{self._prefix}-group-{key}", display_name=group.display_name,
                external_id=object_id, force=True, **entitlements,
                opts=self._child(key, protect=self._critical, provider=args.workspace_provider))
            ready = ()
        return Principal(key=key, kind="group", acl_name=resource.display_name,
                         is_operator=is_operator, role=group.role,
                         unity_catalog=self._account_mode, depends_on=(resource, *ready),
                         path=PATH_SCIM_GROUP if self._account_mode else PATH_WORKSPACE_LOCAL)

    # --- service principals ------------------------------------------------------------

    def _service_principal(self, key: str, sp: ServicePrincipal) -> Principal:
        args = self._args
        client_id = _lookup(args.client_ids, key, "client id", "service principal")
        entitlements = flags(effective_entitlements(sp.role, sp.entitlements))
        # Pool creation can only be granted to groups, never to a single service principal.
        entitlements["allow_instance_pool_create"] = False
        # The deployer runs this stack: `pulumi destroy` must not deactivate it or take its
        # admin rights away half-way, so its identity is left in place on delete.
        is_deployer = key == args.settings.deployer
        is_operator = key in args.settings.operators
        if self._aim:
            object_id = _lookup(args.sp_object_ids, key, "Entra service principal object id",
                                "service principal")
            found = databricks.get_account_iam_external_service_principal_v2_output(
                name=pulumi.Output.concat("accounts/", args.settings.databricks.account_id,
                                          "/external-service-principals/", object_id),
                opts=pulumi.InvokeOutputOptions(provider=args.account_provider, parent=self))
            ready = self._assign(key, sp.role, found.internal_id,
                                 service_principal_id=found.internal_id,
                                 entitlements=entitlements, retain=is_deployer)
            # ACLs name a service principal by its application id: the Entra client id, which
            # is what the lookup returns as application_id.
            return Principal(key=key, kind="service-principal", acl_name=client_id,
                             is_operator=is_operator, role=sp.role, unity_catalog=True,
                             depends_on=ready, path=PATH_AIM)
        if self._account_mode:
            resource = databricks.ServicePrincipal(
                f"{self._prefix}-sp-{key}", application_id=client_id,
                display_name=sp.display_name, force=True,
                opts=self._child(key, protect=self._critical, provider=args.account_provider,
                           retain_on_delete=is_deployer or None))
            ready = self._assign(key, sp.role, resource.id, service_principal_id=resource.id,
                                 entitlements=entitlements, retain=is_deployer)
        else:
            resource = databricks.ServicePrincipal(
                f"{self._prefix}-sp-{key}", application_id=client_id,
                display_name=sp.display_name, force=True, **entitlements,
                opts=self._child(key, protect=self._critical, provider=args.workspace_provider,
                           retain_on_delete=is_deployer or None))
            ready = self._workspace_admin(key, resource, retain=is_deployer) \
                if sp.role is Role.ADMIN else ()
        return Principal(key=key, kind="service-principal", acl_name=resource.application_id,
                         is_operator=is_operator, role=sp.role, unity_catalog=True,
                         depends_on=(resource, *ready),
                         path=PATH_ACCOUNT_SP if self._account_mode else PATH_WORKSPACE_LOCAL)

    def _workspace_admin(self, key: str, member: databricks.ServicePrincipal, *,
                         retain: bool) -> tuple[pulumi.Resource, ...]:
        """Workspace mode: make an admin-role service principal a member of ``admins``."""
        return (databricks.GroupMember(
            f"{self._prefix}-admins-{key}", group_id=self._system_group(ADMINS_GROUP),
            member_id=member.id,
            opts=self._child(key, provider=self._args.workspace_provider,
                       retain_on_delete=retain or None)),)

    # --- shared ------------------------------------------------------------------------

    def _assign(self, key: str, role: Role, principal_id: pulumi.Output[str], *,
                entitlements: Flags, group_id: Optional[pulumi.Output[str]] = None,
                service_principal_id: Optional[pulumi.Output[str]] = None,
                retain: bool = False) -> tuple[pulumi.Resource, ...]:
        """Account mode: assign the principal to the workspace, then set its entitlements."""
        args = self._args
        assignment = databricks.MwsPermissionAssignment(
            f"{self._prefix}-assign-{key}", workspace_id=self._workspace_id,
            principal_id=principal_id, permissions=[ROLE_PRESETS[role][0]],
            opts=self._child(key, provider=args.account_provider, retain_on_delete=retain or None))
        granted = databricks.Entitlements(
            f"{self._prefix}-entitlements-{key}", group_id=group_id,
            service_principal_id=service_principal_id, **entitlements,
            opts=self._child(key, provider=args.workspace_provider, depends_on=[assignment]))
        return assignment, granted

    def _users_baseline(self) -> None:
        """Remove the default entitlements of the built-in ``users`` group (see module doc)."""
        mapped = [r for p in self.principals.values() for r in p.depends_on]
        databricks.Entitlements(
            f"{self._prefix}-users-baseline", group_id=self._system_group(USERS_GROUP),
            **NO_ENTITLEMENTS,
            opts=child(self, provider=self._args.workspace_provider, depends_on=mapped))

    def _system_group(self, display_name: str) -> pulumi.Output[str]:
        """The id of a built-in workspace group, read once through the workspace provider.

        The read waits for the provider, so in the preview of a first deployment (no workspace
        yet) it is unknown instead of failing.
        """
        if display_name not in self._system_groups:
            provider = self._args.workspace_provider
            self._system_groups[display_name] = databricks.get_group_output(
                display_name=display_name,
                opts=pulumi.InvokeOutputOptions(provider=provider, parent=self,
                                                depends_on=[provider])).id
        return self._system_groups[display_name]

    def _mode_steps(self) -> list[str]:
        if self._account_mode:
            return []
        admin_groups = self._args.settings.admin_groups
        return [ADMIN_GROUPS_STEP.format(groups=", ".join(admin_groups))] if admin_groups else []


def flags(entitlements: dict[str, bool]) -> Flags:
    """A role preset's entitlements (see :func:`settings.effective_entitlements`) as arguments."""
    return Flags(workspace_access=entitlements["workspace_access"],
                 databricks_sql_access=entitlements["databricks_sql_access"],
                 allow_cluster_create=entitlements["allow_cluster_create"],
                 allow_instance_pool_create=entitlements["allow_instance_pool_create"])


def numeric_workspace_id(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """The Databricks workspace id (``Workspace.workspace_id``), checked to be the numeric id.

    pulumi-databricks types ``workspace_id`` as a string (an int64 does not fit Pulumi's
    float64 numbers) and the bridge converts it back to an integer, so it stays a string here.
    """
    def check(text: str) -> str:
        if not str(text).isdigit():
            raise ValueError(f"workspace_id must be the numeric Databricks workspace id "
                             f"(azure-native Workspace.workspace_id), got {text!r}")
        return str(text)

    return pulumi.Output.from_input(value).apply(check)


def _lookup(mapping: dict[str, pulumi.Output[str]], key: str, what: str,
            kind: str) -> pulumi.Output[str]:
    try:
        return mapping[key]
    except KeyError:
        raise ValueError(f"no {what} for {kind} '{key}': the program must pass one for every "
                         f"mapped group and service principal (have: {sorted(mapping)})") from None
