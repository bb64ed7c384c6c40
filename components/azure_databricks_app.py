"""The tenant's Azure Databricks enterprise app: who may get a token for Azure Databricks at all.

People (and automation) sign in to Azure Databricks through Microsoft's first-party Azure
Databricks application (app id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d). Its service principal in
the tenant (the "AzureDatabricks" enterprise app) is where Entra decides who gets a token: with
``appRoleAssignmentRequired`` only principals holding an app role assignment do, and conditional
access policies that include the app apply to every sign-in to it.

Opt-in (``azureDatabricksApp.requireAssignment: true``): the service principal is ADOPTED with
``use_existing=True`` (azuread 6.11: "any existing service principal linked to the same
application will be automatically imported"), assignment is required, and every mapped group,
every automation identity (service principals and managed identities: with assignment required
they need one too, or their client-credential tokens are refused), the break-glass groups and
``additionalAssignments`` get the default app role (``00000000-...``, "Default Access": the
Azure Databricks app publishes no app roles of its own). This is TENANT-WIDE: every workspace in
the tenant, and every other stack or tool that uses Azure Databricks there, loses access unless
it is assigned too (a stack that opts in in the same tenant assigns its own principals).

Never deleted: ``retain_on_delete=True`` (a ``destroy``, a rename or a replacement only drops
it from the stack's state; the provider docs warn that with ``use_existing`` it would otherwise
try to delete it) and ``protect`` in prod. Adoption PATCHes the properties this program sets;
the ones it leaves unset (notes, description, tags, owners) take the provider's defaults, so an
admin's notes on the enterprise app are cleared on adoption: keep them elsewhere. Opt-out (the
default): the enterprise app is neither adopted nor changed (an admin's own restriction stays).

Endpoint and identity: Microsoft Graph (``/servicePrincipals``, ``appRoleAssignedTo``) through
the azuread provider, reachable from anywhere; the deployer needs
``Application.ReadWrite.All`` and ``AppRoleAssignment.ReadWrite.All`` (or the Cloud
Application Administrator role). On a tenant where Azure Databricks was never used, the service
principal is created from the app id on first adoption.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azuread as azuread

from components._base import child, type_token
from settings import Settings
from settings.model import AzureDatabricksApp
from settings.sign_in import Assignee, azure_databricks_assignees
from settings.wellknown import AZURE_DATABRICKS_APP_ID

DEFAULT_APP_ROLE_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class AzureDatabricksAppArgs:
    """Inputs of :class:`AzureDatabricksEnterpriseApp`.

    ``principal_object_ids`` maps the keys of groups and automation identities to their Entra
    object ids (outputs of the components that create them); break-glass and additional
    principals carry their object ids in config.
    """

    app: AzureDatabricksApp
    assignees: list[Assignee]
    principal_object_ids: dict[str, pulumi.Input[str]]
    protect: bool

    @classmethod
    def from_settings(cls, s: Settings, *,
                      principal_object_ids: dict[str, pulumi.Input[str]]
                      ) -> AzureDatabricksAppArgs:
        assignees = azure_databricks_assignees(s.groups, s.service_principals,
                                               s.conditional_access, s.azure_databricks_app)
        return cls(app=s.azure_databricks_app, assignees=assignees,
                   principal_object_ids=principal_object_ids, protect=s.protect_critical)


class AzureDatabricksEnterpriseApp(pulumi.ComponentResource):
    """Adopts the Azure Databricks service principal and assigns who may sign in to it."""

    object_id: Optional[pulumi.Output[str]]
    assignment_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AzureDatabricksAppArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("signin", "AzureDatabricksEnterpriseApp"), name, None, opts)
        self._name = name
        self.object_id = None
        self.assignment_ids = {}
        if args.app.require_assignment:
            sp = azuread.ServicePrincipal(
                f"{name}",
                client_id=AZURE_DATABRICKS_APP_ID,
                use_existing=True,
                app_role_assignment_required=True,
                opts=child(self, protect=args.protect, retain_on_delete=True),
            )
            self.object_id = sp.object_id
            self.assignment_ids = {a.key: self._assign(sp, a, args) for a in args.assignees}
        self.register_outputs({
            "objectId": self.object_id,
            "assignmentRequired": args.app.require_assignment,
            "assignmentIds": self.assignment_ids,
        })

    def _assign(self, sp: azuread.ServicePrincipal, assignee: Assignee,
                args: AzureDatabricksAppArgs) -> pulumi.Output[str]:
        object_id = assignee.object_id or args.principal_object_ids.get(assignee.key)
        if object_id is None:
            raise ValueError(f"{assignee.config_key}: no Entra object id for '{assignee.key}' "
                             "(the component that creates it did not pass it on)")
        assignment = azuread.AppRoleAssignment(
            f"{self._name}-assign-{assignee.key}",
            app_role_id=DEFAULT_APP_ROLE_ID,
            principal_object_id=object_id,
            resource_object_id=sp.object_id,
            opts=child(self),
        )
        return assignment.id
